// The public API of every package, as text: each entry point's exported names with their kind
// and type, so a change to the surface shows in review. `npm run api:report` rewrites
// `api/*.api.md`; the test `test/api-report.test.ts` fails when they are out of date.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Every package's entry points ("." and subpaths), from their package.json `exports`. */
export function entryPoints(): { name: string; file: string }[] {
  const workspaces: string[] = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).workspaces;
  const out: { name: string; file: string }[] = [];
  for (const ws of workspaces) {
    const pkg = JSON.parse(readFileSync(join(root, ws, "package.json"), "utf8")) as {
      name: string;
      exports: Record<string, { source: string }>;
    };
    for (const [sub, target] of Object.entries(pkg.exports)) {
      out.push({
        name: sub === "." ? pkg.name : `${pkg.name}/${sub.slice(2)}`,
        file: join(root, ws, target.source),
      });
    }
  }
  return out;
}

const FLAGS =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseFullyQualifiedType |
  ts.TypeFormatFlags.WriteArrowStyleSignature;

function kindOf(symbol: ts.Symbol): string {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return "class";
  if (f & ts.SymbolFlags.Interface) return "interface";
  if (f & ts.SymbolFlags.TypeAlias) return "type";
  if (f & ts.SymbolFlags.Function) return "function";
  if (f & ts.SymbolFlags.Enum) return "enum";
  if (f & ts.SymbolFlags.Variable) return "const";
  return "value";
}

/** A member's name; well-known symbols as `[Symbol.x]` (the checker's own name has a changing id). */
function memberName(p: ts.Symbol): string {
  const m = /^__@(\w+)@\d+$/.exec(p.getName());
  return m === null ? p.getName() : `[Symbol.${m[1]}]`;
}

/** Module-relative import paths in type text would tie the report to file layout: drop them. */
const clean = (text: string) => text.replace(/import\("[^"]+"\)\./g, "");

function describe(checker: ts.TypeChecker, exported: ts.Symbol): string[] {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const kind = kindOf(symbol);
  const decl = symbol.declarations?.[0];
  const name = exported.getName();
  if (decl === undefined) return [`${kind} ${name}`];
  const lines: string[] = [];
  if (kind === "class" || kind === "interface") {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const heritage = (decl as ts.ClassDeclaration | ts.InterfaceDeclaration).heritageClauses
      ?.map((h) => h.getText())
      .join(" ");
    lines.push(`${kind} ${name}${heritage ? ` ${clean(heritage)}` : ""}`);
    if (kind === "class") {
      const statics = checker.getTypeOfSymbolAtLocation(symbol, decl);
      for (const sig of statics.getConstructSignatures()) {
        lines.push(`  constructor${clean(checker.signatureToString(sig, decl, FLAGS))}`);
      }
      for (const p of checker.getPropertiesOfType(statics)) {
        if (p.getName() === "prototype") continue;
        lines.push(
          `  static ${memberName(p)}: ${clean(checker.typeToString(checker.getTypeOfSymbolAtLocation(p, decl), decl, FLAGS))}`,
        );
      }
    }
    for (const p of checker.getPropertiesOfType(type)) {
      const pd = p.declarations?.[0];
      if (pd === undefined) continue;
      const mods = ts.getCombinedModifierFlags(pd);
      if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      if (p.getName().startsWith("__#") || p.getName().startsWith("#")) continue;
      const optional = p.flags & ts.SymbolFlags.Optional ? "?" : "";
      const readonly = mods & ts.ModifierFlags.Readonly ? "readonly " : "";
      lines.push(
        `  ${readonly}${memberName(p)}${optional}: ${clean(checker.typeToString(checker.getTypeOfSymbolAtLocation(p, decl), decl, FLAGS))}`,
      );
    }
    return lines;
  }
  if (kind === "type") {
    const text = (decl as ts.TypeAliasDeclaration).type?.getText() ?? "";
    return [`type ${name} = ${text.replace(/\s+/g, " ")}`];
  }
  const type = checker.getTypeOfSymbolAtLocation(symbol, decl);
  return [`${kind} ${name}: ${clean(checker.typeToString(type, decl, FLAGS))}`];
}

/** One program over every entry point, resolving workspace packages to their sources. */
export function apiProgram(entries: readonly { file: string }[]): ts.Program {
  return ts.createProgram(
    entries.map((e) => e.file),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      customConditions: ["source"],
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: true,
      noEmit: true,
    },
  );
}

export function apiReport(entry: { name: string; file: string }, program: ts.Program): string {
  const p = program;
  const checker = p.getTypeChecker();
  const source = p.getSourceFile(entry.file);
  if (source === undefined) throw new Error(`cannot read ${entry.file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const exports = moduleSymbol === undefined ? [] : checker.getExportsOfModule(moduleSymbol);
  const blocks = exports
    .sort((a, b) => a.getName().localeCompare(b.getName()))
    .map((e) => describe(checker, e).join("\n"));
  const values = exports.filter((e) => {
    const s = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
    return (s.flags & ts.SymbolFlags.Value) !== 0;
  }).length;
  // Well-known symbols print as `__@hasInstance@<id>`, the id depending on what else the program
  // holds (adding a package changes it): spell them as the language does.
  const text = blocks.join("\n\n").replace(/__@(\w+)@\d+/g, "[Symbol.$1]");
  return `# ${entry.name}\n\n${exports.length} names, ${values} of them runtime values.\n\n\`\`\`ts\n${text}\n\`\`\`\n`;
}

export function reportPath(name: string): string {
  return join(root, "api", `${name.replace(/^@/, "").replace(/\//g, "__")}.api.md`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const entries = entryPoints();
  const program = apiProgram(entries);
  mkdirSync(join(root, "api"), { recursive: true });
  for (const entry of entries) {
    const text = apiReport(entry, program);
    writeFileSync(reportPath(entry.name), text);
    console.log(`${entry.name}: ${text.split("\n")[2]}`);
  }
}
