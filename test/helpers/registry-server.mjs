// A private npm registry for test/registry.test.ts, in a process of its own: Verdaccio with the configuration given
// as a JSON file, on 127.0.0.1 and a free port. Prints `listening <port>` once it accepts connections.
import { readFileSync } from 'node:fs';
import { runServer } from 'verdaccio';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const server = await runServer(config);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
