// Type-checks the published declarations as a user's project sees them (`npm run check:types`,
// after `npm run build`): with skipLibCheck off, a public type that refers to a stripped
// `@internal` declaration fails here.
import * as chispa from '../../dist/index.js';

export const api: typeof chispa = chispa;
