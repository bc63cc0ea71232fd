// Starts the NHS.UK frontend components (header menu, error summary focus, ...). Loaded as a module so no
// inline script is needed under our Content-Security-Policy.
import { initAll } from "../../nhsuk/js/nhsuk-frontend.min.js";

initAll();
