// The futures of wz tinker: a model's operations run in seq_id order whatever order they arrive
// in, a retried seq_id runs once, and operations stuck behind a seq_id that never arrives fail
// after the gap timeout, naming it, so the model goes on with new seq_ids.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Futures } from "../../src/tinker/futures.ts";

test("seq_id order, idempotent retries, and a gap that never fills fails by name instead of stalling", async () => {
  const futures = new Futures(100, 16, 50);
  const ran: number[] = [];
  const op = (n: number) => () => {
    ran.push(n);
    return n;
  };
  futures.openLane("m", 1);
  const third = futures.submit(op(3), { lane: { name: "m", seq: 3 } });
  const second = futures.submit(op(2), { lane: { name: "m", seq: 2 } });
  assert.equal(futures.submit(op(2), { lane: { name: "m", seq: 2 } }), second); // a retry
  futures.submit(op(1), { lane: { name: "m", seq: 1 } });
  assert.deepEqual(await futures.retrieve(third, 1000), { state: "done", value: 3 });
  assert.deepEqual(ran, [1, 2, 3]);

  // seq 4 is reserved and never sent: 5 and 6 wait behind it, then fail naming it
  const fifth = futures.submit(op(5), { lane: { name: "m", seq: 5 } });
  const sixth = futures.submit(op(6), { lane: { name: "m", seq: 6 } });
  const outcome = await futures.retrieve(fifth, 2000);
  assert.equal(outcome?.state, "failed");
  assert.match(
    (outcome as { error: string }).error,
    /seq_id 4 of m never arrived within 0.05 s; the operations after it \(seq_id 5, 6\) were not run/,
  );
  assert.equal((await futures.retrieve(sixth, 0))?.state, "failed");
  assert.deepEqual(ran, [1, 2, 3]);
  // the model goes on with new seq_ids; the late one is refused
  const seventh = futures.submit(op(7), { lane: { name: "m", seq: 7 } });
  assert.deepEqual(await futures.retrieve(seventh, 1000), { state: "done", value: 7 });
  assert.throws(
    () => futures.submit(op(4), { lane: { name: "m", seq: 4 } }),
    /seq_id 4 of m is behind its lane/,
  );
  assert.deepEqual(ran, [1, 2, 3, 7]);
});
