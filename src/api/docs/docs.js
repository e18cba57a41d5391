// Starts Swagger UI on this service's OpenAPI document. The page's CSP forbids inline
// scripts, hence this file. validatorUrl: null keeps the document from being sent to
// validator.swagger.io (Swagger UI's default), so no request leaves this origin.
window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    persistAuthorization: false,
  });
});
