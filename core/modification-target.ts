import { InvalidRequestError } from './errors';
import { iopsProblem, IOPS_RANGE } from './iops-range';
import type { VolumeParameters } from './modification';
import type { ModifyVolumeRequest } from './modification-requests';

/**
 * The parameters a request asks for, on top of `base` (the volume's parameters, or the target of
 * the modification it is merged into). Refused with a clear reason, changing nothing:
 * - a no-op (every named parameter already has that value);
 * - a shrink without `allowShrink: true`, and for now every shrink: the data plane keeps no
 *   high-water mark of written blocks yet, so no size below the current one is known to hold the data;
 * - IOPS out of range for the (new) type and size. A type change without `iops` takes the new
 *   type's default when the current IOPS are out of its range.
 */
export function resolveTarget(base: VolumeParameters, request: ModifyVolumeRequest): VolumeParameters {
  const type = request.type ?? base.type;
  const sizeGiB = request.sizeGiB ?? base.sizeGiB;
  const keptIops = iopsProblem(type, sizeGiB, base.iops) === undefined ? base.iops : IOPS_RANGE[type].default;
  const target: VolumeParameters = { sizeGiB, type, iops: request.iops ?? keptIops, location: request.location ?? base.location };
  const same = target.sizeGiB === base.sizeGiB && target.iops === base.iops && target.type === base.type && target.location === base.location;
  if (same && request.awayFromHostIds === undefined) {
    throw new InvalidRequestError('the volume already has (or is being modified to) these parameters; nothing to modify', { current: base });
  }
  if (target.sizeGiB < base.sizeGiB) {
    if (request.allowShrink !== true) {
      throw new InvalidRequestError(
        `sizeGiB ${target.sizeGiB} is below the current ${base.sizeGiB} GiB; a shrink needs allowShrink: true`,
        { sizeGiB: target.sizeGiB, currentSizeGiB: base.sizeGiB },
      );
    }
    throw new InvalidRequestError(
      `shrinking is not supported yet: no high-water mark of written data is kept, so no size below ${base.sizeGiB} GiB is known to hold the data ` +
        `(the smallest size that fits is the current one, ${base.sizeGiB} GiB)`,
      { sizeGiB: target.sizeGiB, currentSizeGiB: base.sizeGiB, smallestFittingSizeGiB: base.sizeGiB },
    );
  }
  const problem = iopsProblem(target.type, target.sizeGiB, target.iops);
  if (problem) throw new InvalidRequestError(problem, { iops: target.iops, type: target.type, sizeGiB: target.sizeGiB });
  return target;
}
