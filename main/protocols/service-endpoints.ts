/**
 * The real services' base URLs. A destination's endpoint replaces them (sovereign clouds, self-hosting, emulators).
 * Kept apart from the adapters so that naming a default does not load an adapter and its reply schemas.
 */
export const DEFAULT_GRAPH_ENDPOINT = 'https://graph.microsoft.com/v1.0';
export const DEFAULT_APIDECK_ENDPOINT = 'https://upload.apideck.com';
export const DEFAULT_BOX_UPLOAD_ENDPOINT = 'https://upload.box.com/api/2.0';
export const DEFAULT_BOX_API_ENDPOINT = 'https://api.box.com/2.0';
