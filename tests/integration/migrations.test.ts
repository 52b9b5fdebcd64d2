import { mkdtempSync, rmSync, cpSync, writeFileSync, appendFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "@switchboard/api/db";
import { migrate, listMigrations, pendingMigrations } from "@switchboard/api/db/migrate";
import { DEFAULT_MIGRATIONS_DIR } from "@switchboard/api/app";
import { getDatamodel } from "@switchboard/api/generated/pothos";
import { createTestDatabase, requirePostgres, type TestDatabase } from "../support/postgres.ts";

const all = listMigrations(DEFAULT_MIGRATIONS_DIR).map((m) => m.name);

// Table name of each Prisma model (@@map), read from the schema the client was generated from.
function tableNames(): Map<string, string> {
  const text = readFileSync(join(DEFAULT_MIGRATIONS_DIR, "..", "schema.prisma"), "utf8");
  const map = new Map<string, string>();
  for (const m of text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const mapped = /@@map\("([^"]+)"\)/.exec(m[2]!);
    map.set(m[1]!, mapped ? mapped[1]! : m[1]!);
  }
  return map;
}

const PG_TYPES: Record<string, string[]> = {
  String: ["text"],
  Boolean: ["boolean"],
  Int: ["integer"],
  BigInt: ["bigint"],
  DateTime: ["timestamp without time zone"],
  Json: ["jsonb"],
};

/**
 * The migrations must produce exactly what prisma/schema.prisma describes: every scalar field
 * a column of the right type and nullability, and no table the schema does not know. (Prisma's
 * own diff needs a download host; this check is what keeps the hand-reviewed SQL honest.)
 */
async function expectSchemaMatchesPrisma(db: Database) {
  const columns = await db.query<{ table_name: string; column_name: string; data_type: string; udt_name: string; is_nullable: string }>(
    `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  const byTable = new Map<string, typeof columns>();
  for (const c of columns) byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c]);
  const tables = tableNames();
  const { datamodel } = getDatamodel();
  const problems: string[] = [];
  for (const [model, def] of Object.entries(datamodel.models)) {
    const table = tables.get(model)!;
    const cols = byTable.get(table);
    if (!cols) {
      problems.push(`missing table ${table}`);
      continue;
    }
    const scalars = def.fields.filter((f) => f.kind === "scalar" || f.kind === "enum");
    for (const field of scalars) {
      const col = cols.find((c) => c.column_name === field.name);
      if (!col) {
        problems.push(`${table}.${field.name} missing`);
        continue;
      }
      if (field.isList) {
        if (col.data_type !== "ARRAY") problems.push(`${table}.${field.name} should be an array`);
      } else if (field.kind === "enum") {
        if (col.udt_name !== field.type) problems.push(`${table}.${field.name} should be enum ${field.type}, is ${col.udt_name}`);
      } else if (!PG_TYPES[field.type]?.includes(col.data_type)) {
        problems.push(`${table}.${field.name} should be ${field.type}, is ${col.data_type}`);
      }
      if (!field.isList && (col.is_nullable === "YES") !== !field.isRequired) problems.push(`${table}.${field.name} nullability differs`);
    }
    for (const col of cols) if (!scalars.some((f) => f.name === col.column_name)) problems.push(`${table}.${col.column_name} is not in the Prisma schema`);
  }
  const known = new Set([...tables.values(), "_prisma_migrations"]);
  for (const table of byTable.keys()) if (!known.has(table)) problems.push(`table ${table} is not in the Prisma schema`);
  expect(problems).toEqual([]);
}

describe("migrations on PGlite (embedded default)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sb-mig-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("migrates a fresh data directory, keeps data across restarts, and applies nothing the second time", async () => {
    const first = await createDatabase({ dataDir: dir });
    const result = await migrate(first, DEFAULT_MIGRATIONS_DIR);
    expect(result.applied).toEqual(all);
    await expectSchemaMatchesPrisma(first);
    await first.prisma.user.create({ data: { id: "u1", name: "Kept", email: "kept@example.test" } });
    await first.close();

    const second = await createDatabase({ dataDir: dir });
    const again = await migrate(second, DEFAULT_MIGRATIONS_DIR);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(all.length);
    expect(await pendingMigrations(second, DEFAULT_MIGRATIONS_DIR)).toEqual([]);
    expect((await second.prisma.user.findUniqueOrThrow({ where: { id: "u1" } })).name).toBe("Kept");
    await second.close();
  });

  it("refuses a second process on the same data directory with a clear message", async () => {
    const holder = await createDatabase({ dataDir: dir });
    await expect(createDatabase({ dataDir: dir })).rejects.toThrow(/in use by another Switchboard process/);
    await holder.close();
    // released on close
    const next = await createDatabase({ dataDir: dir });
    await next.close();
  });
});

describe("migrations on Postgres", async () => {
  const enabled = await requirePostgres();
  let tdb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    if (!enabled) return;
    tdb = await createTestDatabase("mig");
    db = await createDatabase({ url: tdb.url, dataDir: "unused" });
  });
  afterAll(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it.skipIf(!enabled)("migrates a fresh database to the Prisma schema and applies nothing the second time", async () => {
    expect((await migrate(db, DEFAULT_MIGRATIONS_DIR)).applied).toEqual(all);
    await expectSchemaMatchesPrisma(db);
    const rows = await db.query<{ migration_name: string; checksum: string }>(`SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`);
    expect(rows.map((r) => r.migration_name)).toEqual(all);
    expect(rows[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    const again = await migrate(db, DEFAULT_MIGRATIONS_DIR);
    expect(again.applied).toEqual([]);
  });

  it.skipIf(!enabled)("replicas starting together apply each migration once", async () => {
    const t2 = await createTestDatabase("race");
    const dbs = await Promise.all([1, 2, 3].map(() => createDatabase({ url: t2.url, dataDir: "unused" })));
    try {
      const results = await Promise.all(dbs.map((d) => migrate(d, DEFAULT_MIGRATIONS_DIR)));
      expect(results.flatMap((r) => r.applied).sort()).toEqual(all);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
      await t2.drop();
    }
  });

  it.skipIf(!enabled)("refuses an applied migration that was edited, and rolls back a failing one whole", async () => {
    const copy = mkdtempSync(join(tmpdir(), "sb-migdir-"));
    try {
      cpSync(DEFAULT_MIGRATIONS_DIR, copy, { recursive: true });
      appendFileSync(join(copy, all[0]!, "migration.sql"), "\n-- edited\n");
      await expect(migrate(db, copy)).rejects.toThrow(/was changed after it was applied/);

      cpSync(DEFAULT_MIGRATIONS_DIR, copy, { recursive: true, force: true });
      const bad = join(copy, "99999999999999_broken");
      cpSync(join(copy, all[0]!), bad, { recursive: true });
      writeFileSync(join(bad, "migration.sql"), `CREATE TABLE "half_done" (id TEXT);\nSELECT * FROM "no_such_table";\n`);
      await expect(migrate(db, copy)).rejects.toThrow(/99999999999999_broken failed/);
      const leftovers = await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`);
      expect(leftovers).toEqual([]);
      expect(await pendingMigrations(db, copy)).toEqual(["99999999999999_broken"]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
