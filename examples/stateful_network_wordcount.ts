/**
 * The seed's stateful network WordCount, ported line by line from PySpark: counts accumulate
 * across batches.
 *
 *   nc -lk 9999                                                # in one terminal, then type lines
 *   npx tsx examples/stateful_network_wordcount.ts localhost 9999
 *
 * Optional arguments after the port: batch interval and run time in seconds (defaults 5 and 60),
 * and the checkpoint directory (default /tmp/cpdir).
 */
import { SparkContext, StreamingContext } from 'chispa';

const [host = 'localhost', port = '9999', batch = '5', seconds = '60', cpdir = '/tmp/cpdir'] = process.argv.slice(2);

const sc = new SparkContext({ master: 'local[*]', appName: 'Mi app' });
sc.setLogLevel('WARN');

// Contexto Streaming con un batch interval de 5 s
const ssc = new StreamingContext(sc, Number(batch));

// DStream que conecta a localhost:9999
const lines = ssc.socketTextStream(host, Number(port));

ssc.checkpoint(cpdir); // Activa checkpoint

const updateFunc = (newValues: number[], lastSum: number | null) =>
  newValues.reduce((a, b) => a + b, 0) + (lastSum ?? 0);

const counts = lines.flatMap((line) => line.split(' '))
                    .map((word) => [word, 1])
                    .updateStateByKey(updateFunc);

counts.pprint();

ssc.start(); // Inicia la computación
await ssc.awaitTerminationOrTimeout(Number(seconds)); // Espera a que termine (acaba en 60 segundos)
await ssc.stop();
