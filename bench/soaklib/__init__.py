"""The soak benchmark's parts: the deployment it runs, the collectors it plays, its figures."""
