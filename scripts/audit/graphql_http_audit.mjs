// The GraphQL-over-HTTP server audits of the `graphql-http` package, run against a live server.
//   node scripts/audit/graphql_http_audit.mjs http://127.0.0.1:8000/graphql
// Prints one line per audit and exits 1 unless every audit is ok (a warning counts as a failure:
// each SHOULD of the spec is something this server means to do).
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql_http_audit.mjs URL');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push(result);
  const detail = result.status === 'ok' ? '' : ` -- ${result.reason}`;
  console.log(`${result.status.padEnd(7)} ${audit.id} ${audit.name}${detail}`);
}
const counts = {};
for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1;
console.log(
  `${results.length} audits: ` +
    Object.entries(counts).map(([status, n]) => `${n} ${status}`).join(', '),
);
process.exit(results.every((r) => r.status === 'ok') ? 0 : 1);
