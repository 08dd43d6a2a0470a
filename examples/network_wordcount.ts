/**
 * The seed's network WordCount (stateless), ported line by line from PySpark.
 *
 *   nc -lk 9999                                       # in one terminal, then type lines
 *   npx tsx examples/network_wordcount.ts localhost 9999
 *
 * Optional third and fourth arguments: the batch interval and how long to run, in seconds
 * (defaults 5 and 60, as in the notebook). `npm run demo` runs this against a built-in feeder.
 */
import { SparkContext, StreamingContext, add } from 'chispa';

const [host = 'localhost', port = '9999', batch = '5', seconds = '60'] = process.argv.slice(2);

const sc = new SparkContext({ master: 'local[*]', appName: 'Mi app' });
sc.setLogLevel('WARN');

// Contexto Streaming con un batch interval de 5 s
const ssc = new StreamingContext(sc, Number(batch));

// DStream que conecta a localhost:9999
const lines = ssc.socketTextStream(host, Number(port));

// Ejecuta un WordCount
const counts = lines.flatMap((line) => line.split(' '))
                    .map((word) => [word, 1])
                    .reduceByKey(add);

counts.pprint();

ssc.start(); // Inicia la computación
await ssc.awaitTerminationOrTimeout(Number(seconds)); // Espera a que termine (acaba en 60 segundos)
await ssc.stop(); // Unlike the notebook, a script stops its context so the process can exit
