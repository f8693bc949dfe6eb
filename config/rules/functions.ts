import type { Rule } from "../findings";

export const rules: readonly Rule[] = [];
