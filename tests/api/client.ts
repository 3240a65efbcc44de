// A mobile client's first screens, typed from the live schema (test_consumers.py generates
// schema.d.ts beside a copy of this file with openapi-typescript and runs `tsc --noEmit`): a
// field renamed or retyped in the API breaks this file's type check.
import type { components, paths } from "./schema";

type StationRow = components["schemas"]["StationRowOut"];
type StationPage = paths["/api/v1/stations"]["get"]["responses"]["200"]["content"]["application/json"];
type Curve = components["schemas"]["CurveOut"];
type Alarm = components["schemas"]["AlarmOut"];
type ApiError = components["schemas"]["Error"];
type LoginBody = components["schemas"]["LoginInRequest"];

export async function login(base: string, body: LoginBody): Promise<string> {
  const answer = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!answer.ok) {
    const error: ApiError = await answer.json();
    throw new Error(`${error.error}: ${error.detail}`);
  }
  const out: components["schemas"]["LoginOut"] = await answer.json();
  return out.token;
}

export function stationLine(row: StationRow): string {
  const kw: number = row.current_kw;
  const stale: boolean = row.last_ts === null;
  const state: components["schemas"]["PlantStateEnum"] = row.state;
  const flags: [0 | 1, 0 | 1] = [row.power_station_status, row.comm_status];
  return `${row.code} ${row.region_label} ${row.state_label} (${state}) ${kw} kW` +
    `${stale ? " (no data)" : ""} ${flags.join("/")}`;
}

export async function stations(base: string, token: string, etag?: string): Promise<StationPage | null> {
  const headers: Record<string, string> = { Authorization: `Token ${token}` };
  if (etag) headers["If-None-Match"] = etag;
  const answer = await fetch(`${base}/api/v1/stations?sort=-kw&page_size=100`, { headers });
  return answer.status === 304 ? null : ((await answer.json()) as StationPage);
}

export function peakKw(curve: Curve): number {
  return Math.max(0, ...curve.total.map((point) => point.kw ?? 0));
}

export function unacknowledged(alarms: Alarm[]): number[] {
  return alarms.filter((alarm) => alarm.acknowledged_by === null).map((alarm) => alarm.id);
}
