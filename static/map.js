/* The overview's map: each plant a dot at its coordinates, coloured by its state (the class
   state-<state>, the same colours as the badges), over Korea's outline from Natural Earth
   (world-atlas, drawn with d3-geo and topojson-client, all served by the site itself).
   The plants come apart from the page, as JSON from the figure's data-src (the overview's
   filters applied): htmx swaps the fleet section every minute, and the map asks again and is
   drawn anew. The answer has an ETag and says no-cache, so the browser asks with
   If-None-Match and gets a 304 while no dot changed. A dot is a link to its plant and says
   its name and state on hover and to a screen reader. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var SOUTH_KOREA = "410", NORTH_KOREA = "408", JAPAN = "392";
  var atlas = null;

  function loadAtlas(url) {
    if (!atlas) {
      atlas = fetch(url).then(function (r) { return r.json(); });
    }
    return atlas;
  }

  function loadPlants(url) {
    return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) {
        if (!r.ok) { throw new Error("the map's plants: " + r.status); }
        return r.json();
      });
  }

  function element(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function draw(figure) {
    // htmx fires htmx:load on the whole page once it is ready too: ask once per figure
    if (!window.d3 || !window.topojson || figure.dataset.asked) { return; }
    figure.dataset.asked = "yes";
    Promise.all([loadAtlas(figure.dataset.atlas), loadPlants(figure.dataset.src)]).then(function (loaded) {
      // htmx swapped the section while this was asked: its new figure draws itself
      if (!figure.isConnected) { return; }
      var world = loaded[0], plants = loaded[1];
      var countries = topojson.feature(world, world.objects.countries).features;
      var south = countries.filter(function (f) { return f.id === SOUTH_KOREA; });
      var near = countries.filter(function (f) {
        return f.id === NORTH_KOREA || f.id === JAPAN;
      });
      var width = 360, height = 420;
      var frame = {type: "FeatureCollection", features: south.concat(plants.map(function (p) {
        return {type: "Feature", geometry: {type: "Point", coordinates: [p.lon, p.lat]}};
      }))};
      var projection = d3.geoMercator().fitExtent([[12, 12], [width - 12, height - 12]], frame);
      var path = d3.geoPath(projection);
      var old = figure.querySelector("svg");
      if (old) { old.remove(); }
      var svg = element("svg", {viewBox: "0 0 " + width + " " + height, role: "group",
                                "aria-label": figure.dataset.label});
      figure.insertBefore(svg, figure.firstChild);
      near.forEach(function (f) { element("path", {d: path(f), "class": "land near"}, svg); });
      south.forEach(function (f) { element("path", {d: path(f), "class": "land"}, svg); });
      plants.forEach(function (p) {
        var xy = projection([p.lon, p.lat]);
        if (!xy) { return; }
        var link = element("a", {href: p.url, "class": "plant", "data-code": p.code}, svg);
        var dot = element("circle", {cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r: 5,
                                     "class": "dot state-" + p.state}, link);
        element("title", {}, dot).textContent = p.code + " " + p.name + " · " + p.label;
      });
    }).catch(function (error) { console.warn(error); });
  }

  function drawAll(root) {
    var figure = (root.querySelector && root.querySelector("figure.map")) ||
                 document.querySelector("figure.map");
    if (figure) { draw(figure); }
  }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
