// xapi's HTTP handlers other than the RPC endpoints, by "METHOD path" (ocaml/xapi/xapi.ml handler table,
// ocaml/idl/datamodel.ml http_actions); the request body is theirs to stream.
import { exportRawVdi } from './export-raw-vdi.js';
import type { HttpHandler } from './http-context.js';
import { importRawVdi } from './import-raw-vdi.js';

export const httpHandlers: Record<string, HttpHandler> = {
  'PUT /import_raw_vdi': importRawVdi, // put_import_raw_vdi
  'GET /export_raw_vdi': exportRawVdi, // get_export_raw_vdi
};
