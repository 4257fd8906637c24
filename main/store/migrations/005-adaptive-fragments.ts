/**
 * Graph fragments are sized to the link unless the user chose a size. `hoist dest add` used to store the 10 MiB default
 * even without --fragment-size, which now would pin the size: those destinations lose the stored default once, here.
 * A size given after this migration is kept as given, 10 MiB included.
 */
export const sql = `
UPDATE destinations SET config_json = json_remove(config_json, '$.fragmentSizeBytes')
WHERE provider = 'graph' AND json_extract(config_json, '$.fragmentSizeBytes') = 10485760;
`;
