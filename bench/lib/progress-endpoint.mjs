// A local GraphQL progress endpoint for the bench: answers the reportTaskEvents mutation and counts events by status.
import { createServer } from 'node:http';

export async function startProgressEndpoint() {
  const counts = new Map();
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let events;
      try {
        events = JSON.parse(Buffer.concat(chunks).toString('utf8'))?.variables?.events;
      } catch {
        events = undefined;
      }
      if (!Array.isArray(events)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"errors":[{"message":"expected the reportTaskEvents(events: $events) mutation"}]}');
        return;
      }
      requests++;
      for (const event of events) counts.set(event.status, (counts.get(event.status) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":{"reportTaskEvents":true}}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/graphql`,
    /** Events received per status since the last reset, and the number of requests. */
    take() {
      const out = { requests, ...Object.fromEntries(counts) };
      counts.clear();
      requests = 0;
      return out;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
