// The dashboard chart's 48 hours: one point per hour ending with the current one, the server's
// buckets in place and zero for hours it did not report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { last48Hours } from "../src/chart";

test("48 hourly points ending at the current hour", () => {
  const now = new Date("2026-12-07T04:25:00Z");
  const hour = (iso: string) => new Date(iso);
  const points = last48Hours([
    { start: hour("2026-12-07T04:00:00Z"), values: { received: 5 } },
    { start: hour("2026-12-05T05:00:00Z"), values: { received: 2, bounced: 1 } },
    { start: hour("2026-12-01T00:00:00Z"), values: { received: 99 } },  // older: not shown
  ], now);
  assert.equal(points.length, 48);
  assert.equal(points[47].start.toISOString(), "2026-12-07T04:00:00.000Z");
  assert.equal(points[0].start.toISOString(), "2026-12-05T05:00:00.000Z");
  assert.deepEqual(points[47].values, { received: 5 });
  assert.deepEqual(points[0].values, { received: 2, bounced: 1 });
  assert.deepEqual(points[20].values, {});
  assert.ok(!points.some((p) => p.values.received === 99));
});
