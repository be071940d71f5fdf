// throwaway: 1000-partition topic under SDK load; SIGSTOP one node for PAUSE s; per-second acks.
import { execSync } from 'node:child_process';
import { Admin, Producer } from './src/client/index.ts';
const bootstrap = ['http://127.0.0.1:8081', 'http://127.0.0.1:8082', 'http://127.0.0.1:8083'];
const admin = new Admin({ bootstrap });
const parts = Number(process.env.PARTS ?? 1000);
await admin.createTopics([{ topic: 'pt', numPartitions: parts, replicationFactor: 3 }]);
await new Promise((r) => setTimeout(r, 8000));
const producer = new Producer({ bootstrap, lingerMs: 5, batchSize: 256 * 1024 });
const value = Buffer.alloc(100, 1);
const group = Array.from({ length: 500 }, () => ({ topic: 'pt', value }));
let acked = 0; let failed = 0; let stop = false;
const loops = Array.from({ length: 16 }, async () => {
  while (!stop) {
    try { await producer.sendMany(group); acked += 500; } catch { failed += 500; }
  }
});
const pid = execSync("pgrep -f 'main.ts --node-id 3'").toString().trim().split('\n')[0];
const start = Date.now();
for (let s = 1; s <= 25; s++) {
  await new Promise((r) => setTimeout(r, 1000));
  if (s === 6) { execSync(`kill -STOP ${pid}`); console.log('STOP node 3'); }
  if (s === 6 + Number(process.env.PAUSE ?? 6)) { execSync(`kill -CONT ${pid}`); console.log('CONT node 3'); }
  console.log(`t=${s}s acked=${acked} failed=${failed}`);
  acked = 0; failed = 0;
}
stop = true;
await Promise.allSettled(loops);
await producer.close();
await admin.close?.();
console.log('done', Date.now() - start);
