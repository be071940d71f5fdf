// V8's old generation grows, by default, to only 1.1-1.3x the heap that survived the last full GC. A
// node's live heap is small (about 30 MB) while it allocates tens of MB of short-lived buffers a second
// (requests, replication, fetch answers): with the default, a three-node cluster under an acks=all
// produce load ran a mark-compact every ~100 ms on each node, 13-17% of every node's time (V8's
// --trace-gc; CPU profiles of `npm run bench`). Letting the old generation grow to 3x its live size
// before the next full GC halved the GC count and doubled the native produce throughput in the
// benchmark (about 160k to 310-335k records/s).
//
// Those buffers live outside the V8 heap (record batches in ArrayBuffers), and V8 by default starts a
// full GC each time such external memory grows 64 MB past what the last one left, however small the
// heap: at 45 MB/s of records per node, each copy on the way (HTTP/2 chunks, request bodies, fetch
// answers) adds to it, and a node still ran a mark-compact every ~250 ms; `perf` showed V8's
// concurrent marking and sweeping threads at a quarter of the machine's CPU. Counting external memory
// in the global limit, which grows with the live size as above, halved the count again (60 to 30 per
// node in a 15 s run) and took the quick bench's native SDK produce from 290-370k to 440-500k records/s,
// for about 65 MB more resident memory per node under that load (255 to 320 MB).
//
// Both flags are read each time V8 sets a new heap limit, so they take effect when set at start
// (imported first by main.ts), whatever started the process.
import { setFlagsFromString } from 'node:v8';

/** The old generation's growth over its live size: 1 + 200/100 = 3x. */
export const HEAP_GROWING_PERCENT = 200;

setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
setFlagsFromString('--external-memory-accounted-in-global-limit');
