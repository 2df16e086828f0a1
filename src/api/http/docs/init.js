/* global window, SwaggerUIBundle */
// Loaded as a file, not inline, so the page works under helmet's default CSP. "Authorize" takes a
// bearer token (npm run dev: POST /dev/token), kept across reloads (persistAuthorization).
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
});
