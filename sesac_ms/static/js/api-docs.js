// The API documentation page: Swagger UI (vendor/swagger-ui) reads the OpenAPI document.
document.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("api-docs");
  if (!target || typeof window.SwaggerUIBundle !== "function") {
    if (target) {
      target.setAttribute("aria-busy", "false");
    }
    return;
  }
  window.SwaggerUIBundle({
    url: target.dataset.specUrl,
    domNode: target,
    deepLinking: false,
    tryItOutEnabled: false,
    persistAuthorization: false,
    // Busy until the operations are drawn: assistive technology (and the page checks)
    // wait for the finished page.
    onComplete: function () {
      target.setAttribute("aria-busy", "false");
    },
  });
});
