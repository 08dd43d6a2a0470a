// The WordCount a user would write without chispa: one thread, net + readline + a Map.
// Usage: node bench/baselines/naive-wordcount.mjs HOST PORT. Prints one JSON line when the
// server closes the connection: {bytes, lines, words, distinct, ms, maxRssKB}, `ms` running from the
// 'connect' event to readline's 'close' (the end of the stream, every line counted).
import net from 'node:net';
import readline from 'node:readline';

const [host = '127.0.0.1', port = '9999'] = process.argv.slice(2);
const socket = net.connect({ host, port: Number(port) });
const counts = new Map();
let t0 = 0, bytes = 0, lines = 0, words = 0;
socket.on('connect', () => (t0 = performance.now()));
socket.on('data', (chunk) => (bytes += chunk.length));
readline.createInterface({ input: socket, crlfDelay: Infinity })
  .on('line', (line) => {
    lines++;
    for (const word of line.split(' ')) { words++; counts.set(word, (counts.get(word) ?? 0) + 1); }
  })
  .on('close', () => console.log(JSON.stringify({ bytes, lines, words, distinct: counts.size, ms: performance.now() - t0, maxRssKB: process.resourceUsage().maxRSS })));
