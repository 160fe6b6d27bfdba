import { SpecVersionParameterSchema } from '../../core/audit/audit-requests';
import { specVersion } from '../../core/audit/use-cases/read-specs';
import { requireHostOrOperator, specStore } from '../shared/audit-composition';
import { parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const specs = specStore();

export const handler = httpHandler(async (event) => {
  requireHostOrOperator(event);
  refuseBody(event);
  refuseQuery(event);
  return json(200, await specVersion(specs, parsePathParameter(event, 'version', SpecVersionParameterSchema)));
});
