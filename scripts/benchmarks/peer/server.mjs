// Serves PostGraphile (graphile.config.mjs) on 127.0.0.1 at PORT (0: a free one) and prints
// `listening on http://127.0.0.1:<port>` once it answers; stops on SIGTERM or SIGINT.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset from "./graphile.config.mjs";

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
await pgl.getSchema(); // build the schema before saying so, not on the first request
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

async function stop() {
  server.close();
  server.closeAllConnections();
  await pgl.release();
  process.exit(0);
}
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
