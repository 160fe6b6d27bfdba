import { z } from 'zod';
import { UsageError } from '../../../cli/errors';
import { table } from '../../../cli/output';
import { checked, fieldOptions, kebab, requestFrom } from '../../../cli/schema-options';
import { CreateVolumeRequestSchema } from '../../../core/volume-requests';
import { VolumePolicySchema } from '../../../core/volume-policy';

/** Options made from the core's request schemas, and requests read back from them. */
test('field names become kebab-case flags', () => {
  expect(['sizeGiB', 'maxUtilizationPercent', 'iops', 'clientToken'].map(kebab)).toEqual(['size-gib', 'max-utilization-percent', 'iops', 'client-token']);
});

test('numbers are parsed, enums are choices, required fields are marked', () => {
  const options = fieldOptions(CreateVolumeRequestSchema);
  const values = { sizeGib: '10', type: 'ssd', location: 'here' };
  expect(requestFrom(options, values)).toEqual({ sizeGiB: 10, type: 'ssd', location: 'here' });
  expect(options.find((option) => option.field === 'type')!.option.argChoices).toEqual(['hdd', 'ssd']);
  expect(options.filter((option) => option.required).map((option) => option.field)).toEqual(['sizeGiB', 'type', 'location']);
  expect(() => requestFrom(options, { sizeGib: 'ten' })).toThrow(new UsageError('--size-gib must be a number, got "ten"'));
});

test('a date-time or URL field is described by its format, not by its regular expression; other patterns show as they are', () => {
  const options = fieldOptions(z.strictObject({ until: z.iso.datetime(), url: z.url(), id: z.string().regex(/^[a-z]{3}$/) }));
  const help = Object.fromEntries(options.map((option) => [option.field, option.option.description]));
  expect(help).toEqual({ until: 'required, an ISO 8601 date-time such as 2026-12-02T13:00:00Z', url: 'required, a URL', id: 'required, matching ^[a-z]{3}$' });
});

test('object fields take JSON, and --body is the base that options replace fields of', () => {
  const options = fieldOptions(VolumePolicySchema);
  const request = requestFrom(options, { autoGrow: '{"maxUtilizationPercent":80,"stepPercent":20,"maxSizeGiB":40}' }, '{"autoShrink":{"minUtilizationPercent":10,"periodHours":24,"minSizeGiB":5}}');
  expect(request).toEqual({
    autoGrow: { maxUtilizationPercent: 80, stepPercent: 20, maxSizeGiB: 40 },
    autoShrink: { minUtilizationPercent: 10, periodHours: 24, minSizeGiB: 5 },
  });
  expect(() => requestFrom(options, { autoGrow: '{' })).toThrow(/--auto-grow must be JSON/);
  expect(() => requestFrom(options, {}, '[1]')).toThrow(/--body must be a JSON object/);
});

test('the schema decides, and names the option at fault', () => {
  expect(() => checked(CreateVolumeRequestSchema, { sizeGiB: 0, type: 'ssd', location: 'here' }, 'body')).toThrow(/^--size-gib: /);
  expect(() => checked(CreateVolumeRequestSchema, { sizeGiB: 10, type: 'ssd', location: 'here', iops: 99 }, 'body')).toThrow(/^--iops: /);
  expect(() => checked(z.string().regex(/^vol-/), 'x', 'volumeId')).toThrow(/^volumeId: /);
  expect(checked(CreateVolumeRequestSchema, { sizeGiB: 10, type: 'ssd', location: 'here' }, 'body')).toBeDefined();
});

test('a table shows a page as rows and any other result as its fields', () => {
  expect(table({ volumes: [{ volumeId: 'vol-1', sizeGiB: 1 }, { volumeId: 'vol-2', copies: [{ hostId: 'h' }] }], nextToken: 't' })).toBe(
    ['volumeId  sizeGiB  copies', '--------  -------  ----------------', 'vol-1     1', 'vol-2              [{"hostId":"h"}]'].join('\n'),
  );
  expect(table({ volumeId: 'vol-1', copies: [] })).toBe(['field     value', '--------  -----', 'volumeId  vol-1', 'copies    []'].join('\n'));
  expect(table({ volumes: [] })).toBe('(none)');
});
