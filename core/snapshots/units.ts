export const GiB = 1024 * 1024 * 1024;
