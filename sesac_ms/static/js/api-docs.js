// The API documentation page: Swagger UI (vendor/swagger-ui) reads the OpenAPI document.
document.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("api-docs");
  if (!target || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: target.dataset.specUrl,
    domNode: target,
    deepLinking: false,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
