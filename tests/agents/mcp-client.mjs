// A real MCP client (the official TypeScript SDK) that the tests drive against Sift: it connects over stdio (spawning
// `sift mcp`) or streamable HTTP (sift serve's /mcp, with a bearer key), then runs the calls given as JSON on argv and
// prints one JSON document: the tools and resource templates listed, and each call's result or error.
//   node mcp-client.mjs stdio '<command json array>' '<calls json>'
//   node mcp-client.mjs http URL KEY '<calls json>'
// A call is {"tool": NAME, "arguments": {...}} or {"resource": URI}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, ...rest] = process.argv.slice(2);
let transport, calls;
if (mode === "stdio") {
  const [command, ...args] = JSON.parse(rest[0]);
  transport = new StdioClientTransport({ command, args, env: { ...process.env }, stderr: "inherit" });
  calls = JSON.parse(rest[1]);
} else if (mode === "http") {
  const [url, key, json] = rest;
  transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: key ? { Authorization: `Bearer ${key}` } : {} } });
  calls = JSON.parse(json);
} else {
  console.error("usage: mcp-client.mjs stdio COMMAND_JSON CALLS_JSON | http URL KEY CALLS_JSON");
  process.exit(2);
}

const client = new Client({ name: "sift-tests", version: "1.0.0" });
const output = { tools: [], templates: [], results: [] };
try {
  await client.connect(transport);
  output.server = client.getServerVersion();
  output.tools = (await client.listTools()).tools;
  output.templates = (await client.listResourceTemplates()).resourceTemplates;
  for (const call of calls) {
    try {
      if (call.tool) {
        const result = await client.callTool({ name: call.tool, arguments: call.arguments ?? {} });
        output.results.push({ tool: call.tool, isError: result.isError ?? false, structured: result.structuredContent ?? null, text: result.content?.map(c => c.text ?? "").join("") ?? "" });
      } else {
        const result = await client.readResource({ uri: call.resource });
        output.results.push({ resource: call.resource, text: result.contents.map(c => c.text ?? "").join("") });
      }
    } catch (error) {
      output.results.push({ tool: call.tool, resource: call.resource, error: String(error?.message ?? error) });
    }
  }
} catch (error) {
  output.connectError = String(error?.message ?? error);
} finally {
  await client.close().catch(() => {});
}
console.log(JSON.stringify(output));
