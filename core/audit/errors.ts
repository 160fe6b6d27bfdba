import { InvalidRequestError } from '../errors';

/** A spec change that does not apply to the version it names (adding a clause that exists, removing one that does not). */
export class SpecChangeRefusedError extends InvalidRequestError {}
