// Starts GraphiQL with the explorer plugin against this server's /graphql (HTTP for queries and
// mutations, the same URL over ws:/wss: for subscriptions). Adapted from strawberry-graphql's
// GraphiQL template; a static file, so the page's Content-Security-Policy needs no inline script.
// Query, variables and headers can be shared in the URL: ?q=...&variables=...&headers=...
// (not ?query=, which /graphql answers as a GraphQL GET request).
(function () {
  "use strict";

  const WELCOME = `# coach_graph GraphiQL
#
# Log in with the login mutation, then put the token in the Headers pane below:
#
#     {"Authorization": "Bearer <token>"}
#
# Headers are kept in this browser's local storage. Run with Ctrl-Enter.

query Me {
  viewer {
    name
    role
  }
}
`;

  const parameters = {};
  for (const entry of window.location.search.slice(1).split("&")) {
    const eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(
        entry.slice(eq + 1).replace(/\+/g, " "),
      );
    }
  }

  function updateURL(data) {
    Object.assign(parameters, data);
    const search = Object.keys(parameters)
      .filter((key) => Boolean(parameters[key]))
      .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
      .join("&");
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  const fetchURL = window.location.href.split("?")[0].split("#")[0];
  const subscriptionURL = new URL(fetchURL);
  subscriptionURL.protocol = subscriptionURL.protocol === "https:" ? "wss:" : "ws:";

  const fetcher = GraphiQL.createFetcher({
    url: fetchURL,
    subscriptionUrl: subscriptionURL.toString(),
  });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function CoachGraphIDE() {
    const [query, setQuery] = React.useState(parameters.q || WELCOME);
    const [variables, setVariables] = React.useState(parameters.variables);
    const [headers, setHeaders] = React.useState(parameters.headers);

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      query: query,
      variables: variables,
      headers: headers,
      onEditQuery: (value) => {
        setQuery(value);
        updateURL({ q: value });
      },
      onEditVariables: (value) => {
        setVariables(value);
        updateURL({ variables: value });
      },
      onEditHeaders: setHeaders,
      defaultEditorToolsVisibility: "headers",
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(CoachGraphIDE),
  );
})();
