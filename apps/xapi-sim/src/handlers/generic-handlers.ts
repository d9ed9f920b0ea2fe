// Handlers every class gets from the datamodel: records, lookups, field getters/setters, map and set edits.
import type { ClassDef, MessageDef } from '../datamodel/datamodel.js';
import type { Value } from '../datamodel/defaults.js';
import { fail } from '../rpc/xapi-error.js';
import { argStr, type CallContext, type HandlerEntry } from '../rpc/handler-types.js';
import { parseWhere } from './query-where.js';

const records = (ctx: CallContext) => ctx.sim.store.all(ctx.message.cls);

// Only names that are really `<prefix><field>` of this class, so explicit messages are not mistaken for accessors.
function fieldOf(def: ClassDef, name: string, prefix: string): string | undefined {
  const field = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
  return field !== undefined && def.field.has(field) ? field : undefined;
}

export function genericHandler(def: ClassDef, msg: MessageDef): HandlerEntry | undefined {
  const { cls, name } = msg;
  const byPrefix = (n: string, prefix: string) => fieldOf(def, n, prefix);
  switch (name) {
    case 'get_record':
      return { fn: (ctx) => ctx.sim.store.mustGet(cls, argStr(ctx, 0)) };
    case 'get_all':
      return { fn: (ctx) => records(ctx).map(([ref]) => ref) };
    case 'get_all_records':
      return { fn: (ctx) => Object.fromEntries(records(ctx)) };
    case 'get_all_records_where':
      return {
        fn: (ctx) => {
          const where = parseWhere(argStr(ctx, 0));
          return Object.fromEntries(records(ctx).filter(([, r]) => where(r)));
        },
      };
    case 'get_by_uuid':
      return { fn: (ctx) => ctx.sim.store.refByUuid(cls, argStr(ctx, 0)) ?? fail('UUID_INVALID', cls, argStr(ctx, 0)) };
    case 'get_by_name_label':
      return {
        fn: (ctx) =>
          records(ctx)
            .filter(([, r]) => r.name_label === argStr(ctx, 0))
            .map(([ref]) => ref),
      };
    case 'create':
      return { fn: (ctx) => ctx.sim.store.create(cls, ctx.args[0] as Record<string, Value>) };
    case 'destroy':
      return { fn: (ctx) => (ctx.sim.store.destroy(cls, argStr(ctx, 0)), '') };
  }
  const getField = byPrefix(name, 'get_');
  if (getField !== undefined && msg.params.length === 2) return { fn: (ctx) => ctx.sim.store.mustGet(cls, argStr(ctx, 0))[getField] ?? '' };
  const addToMap = byPrefix(name, 'add_to_');
  if (addToMap !== undefined) return { fn: (ctx) => addToMapField(ctx, addToMap) };
  const removeFromMap = byPrefix(name, 'remove_from_');
  if (removeFromMap !== undefined) return { fn: (ctx) => removeFromMapField(ctx, removeFromMap) };
  const setField = byPrefix(name, 'set_');
  if (setField !== undefined && msg.params.length === 3) {
    return { fn: (ctx) => (ctx.sim.store.update(cls, argStr(ctx, 0), { [setField]: ctx.args[1]! }), '') };
  }
  const addToSet = byPrefix(name, 'add_');
  if (addToSet !== undefined) return { fn: (ctx) => editSet(ctx, addToSet, true) };
  const removeFromSet = byPrefix(name, 'remove_');
  if (removeFromSet !== undefined) return { fn: (ctx) => editSet(ctx, removeFromSet, false) };
  return undefined;
}

function addToMapField(ctx: CallContext, field: string): Value {
  const { cls } = ctx.message;
  const ref = argStr(ctx, 0);
  const record = ctx.sim.store.mustGet(cls, ref);
  const map = (record[field] ?? {}) as Record<string, Value>;
  const key = argStr(ctx, 1);
  // db_cache_impl.ml Duplicate_key (table, field, ref, key) -> exnHelper.ml MAP_DUPLICATE_KEY
  if (key in map) fail('MAP_DUPLICATE_KEY', cls, field, ref, key);
  ctx.sim.store.update(cls, ref, { [field]: { ...map, [key]: ctx.args[2]! } });
  return '';
}

function removeFromMapField(ctx: CallContext, field: string): Value {
  const { cls } = ctx.message;
  const ref = argStr(ctx, 0);
  const map = { ...((ctx.sim.store.mustGet(cls, ref)[field] ?? {}) as Record<string, Value>) };
  if (!(argStr(ctx, 1) in map)) return '';
  delete map[argStr(ctx, 1)];
  ctx.sim.store.update(cls, ref, { [field]: map });
  return '';
}

function editSet(ctx: CallContext, field: string, add: boolean): Value {
  const { cls } = ctx.message;
  const ref = argStr(ctx, 0);
  const set = (ctx.sim.store.mustGet(cls, ref)[field] ?? []) as Value[];
  const value = ctx.args[1]!;
  if (add === set.includes(value)) return '';
  ctx.sim.store.update(cls, ref, { [field]: add ? [...set, value] : set.filter((v) => v !== value) });
  return '';
}
