/* global window, SwaggerUIBundle */
// Loaded as a file, not inline, so the page works under helmet's default CSP.
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
