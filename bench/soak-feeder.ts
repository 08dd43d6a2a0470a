/**
 * The soak's feeder, in its own process: `node --import tsx bench/soak-feeder.ts FILE --rate
 * LINES_PER_SEC --seconds S`. Serves FILE's lines, looped, to the first client at RATE lines per
 * second for S seconds (every 50 ms the lines due), then ends the connection cleanly after a whole
 * line and prints `{"sent": N}`: the exact number of lines the consumer must count. Prints
 * `{"port": P}` first. Exits when its IPC channel to the parent closes.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rate: { type: 'string' }, seconds: { type: 'string' } } });
const text = readFileSync(positionals[0]);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const starts = [0];
for (let i = text.indexOf(0x0a); i !== -1; i = text.indexOf(0x0a, i + 1)) starts.push(i + 1);
if (starts[starts.length - 1] !== text.length) starts.push(text.length);
const nLines = starts.length - 1;

const server = net.createServer((socket) => {
  server.close(); // one client
  socket.on('error', () => {});
  const deadline = performance.now() + seconds * 1000;
  let paceFrom = performance.now(); // moved on after a stall, so the pace resumes without a burst
  let sent = 0;
  let waiting = false;
  const tick = () => {
    const now = Math.min(performance.now(), deadline);
    const due = Math.floor(((now - paceFrom) / 1000) * rate) - sent;
    if (due > 0 && !waiting) {
      // Lines sent..sent+due of the looped text, in at most two slices per pass.
      const parts: Buffer[] = [];
      for (let left = due, at = sent % nLines; left > 0; ) {
        const n = Math.min(left, nLines - at);
        const chunk = text.subarray(starts[at], starts[at + n]);
        parts.push(chunk[chunk.length - 1] === 0x0a ? chunk : Buffer.concat([chunk, Buffer.from('\n')]));
        left -= n;
        at = 0;
      }
      sent += due;
      if (!socket.write(Buffer.concat(parts))) {
        // The consumer is not reading: resume the pace from when it drains, without a burst.
        waiting = true;
        socket.once('drain', () => {
          waiting = false;
          paceFrom = performance.now() - (sent / rate) * 1000;
        });
      }
    }
    if (performance.now() >= deadline && !waiting) {
      socket.end(() => process.stdout.write(JSON.stringify({ sent }) + '\n'));
      return;
    }
    setTimeout(tick, 50);
  };
  tick();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as net.AddressInfo).port }) + '\n'));
process.on('disconnect', () => process.exit(0));
