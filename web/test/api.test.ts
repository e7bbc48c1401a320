// toApiError: RFC 9457 problems become ApiError with their code and field errors, whatever the
// spelling of the field list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toApiError, ApiError } from "../src/api";

test("a problem's detail, status and code", () => {
  const e = toApiError(409, { type: "about:blank", title: "Conflict", status: 409, code: "conflict", detail: "the domain exists" });
  assert.ok(e instanceof ApiError);
  assert.equal(e.status, 409);
  assert.equal(e.code, "conflict");
  assert.equal(e.message, "the domain exists");
  assert.deepEqual(e.fields, []);
});

test("title, then the status, when there is no detail", () => {
  assert.equal(toApiError(404, { title: "Not Found" }).message, "Not Found");
  assert.equal(toApiError(502, null).message, "HTTP 502");
  assert.equal(toApiError(500, "not json").message, "HTTP 500");
});

test("field errors as errors[] with JSON pointers or names", () => {
  const e = toApiError(400, {
    code: "invalid_input", detail: "2 fields are wrong",
    errors: [{ pointer: "#/quota", detail: "too large" }, { field: "name", message: "taken" }, { pointer: "/forwarding/targets/0", detail: "bad address" }],
  });
  assert.deepEqual(e.fields, [
    { field: "quota", message: "too large" },
    { field: "name", message: "taken" },
    { field: "forwarding.targets.0", message: "bad address" },
  ]);
});

test("field errors as invalid-params (RFC 7807's example)", () => {
  const e = toApiError(400, { "invalid-params": [{ name: "age", reason: "must be a positive integer" }] });
  assert.deepEqual(e.fields, [{ field: "age", message: "must be a positive integer" }]);
});
