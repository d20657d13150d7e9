// PostGraphile v5 as the benchmark's peer runs it (scripts/benchmarks/bench_peer.py): the amber
// preset over the public schema of DATABASE_URL with the connection filter's relation filters
// (My Clients: the clients with a GRANTED link to the coach), no GraphiQL, no schema watching,
// no explain. PgIndexBehaviorsPlugin is off, as PostGraphile 4 had it by default: every column
// can be filtered and ordered by, indexed or not (the page filters on `consent` and sorts by
// `name`, as coach_graph does).
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  pgServices: [
    makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] }),
  ],
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  schema: { connectionFilterRelations: true },
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
  grafast: { explain: false },
};

export default preset;
