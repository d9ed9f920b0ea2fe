// The baseline of the GET /v1/vms bench: node:http and pg only, running the statements the API ran for the same
// request (BARE_STATEMENTS, from the query log) in turn, answering with the rows of the one that returned most.
import http from 'node:http';
import pg from 'pg';

const statements = JSON.parse(process.env.BARE_STATEMENTS ?? '[]') as { sql: string; values: (string | null)[] }[];
// The API's pool size (TypeORM's default of 10), so neither side has more connections to spread over.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

async function answer(): Promise<string> {
  let items: unknown[] = [];
  for (const s of statements) {
    const { rows } = await pool.query({ text: s.sql, values: s.values });
    if (rows.length > items.length) items = rows;
  }
  return JSON.stringify({ items, nextCursor: null });
}

const server = http.createServer((_req, res) => {
  answer().then(
    (json) => res.writeHead(200, { 'content-type': 'application/json' }).end(json),
    (err: Error) => res.writeHead(500).end(err.message),
  );
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'bare listening', port: (server.address() as { port: number }).port }));
});
process.once('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
