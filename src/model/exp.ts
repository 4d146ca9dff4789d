// exp(x) for the layers (softmaxes, sigmoid), the same arithmetic as wz_exp in
// native/blas/layers.c, so that the TypeScript and C layers round alike and the C one can be
// vectorised (libm's exp cannot). Error within about an ulp of double (tested against Math.exp);
// below exp(-708) it returns 0, which no float32 value or softmax sum can tell from the true value.
//   x = k ln2 + r, |r| <= ln2 / 2 (k the nearest integer to x / ln2):  exp(x) = 2^k exp(r), exp(r) by its Taylor series to r^13
//   (the remainder is under 1e-17 of the result); ln2 in two parts (Cody and Waite) so k ln2 is
//   exact for the k that occur.

const LOG2E = Math.LOG2E;
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const MAGIC = 6755399441055744;

/** 1/n! for n = 2..13, from the top: the Horner coefficients of exp(r). */
const C13 = 1 / 6227020800;
const C12 = 1 / 479001600;
const C11 = 1 / 39916800;
const C10 = 1 / 3628800;
const C9 = 1 / 362880;
const C8 = 1 / 40320;
const C7 = 1 / 5040;
const C6 = 1 / 720;
const C5 = 1 / 120;
const C4 = 1 / 24;
const C3 = 1 / 6;
const C2 = 1 / 2;

/** 2^k at index k + 1023, for the k that occur (-1021 to 1024; 2^1024 is Infinity). */
const POW2 = Float64Array.from({ length: 2048 }, (_, i) => 2 ** (i - 1023));

export function wzExp(x: number): number {
  if (!(x >= -708)) return Number.isNaN(x) ? x : 0;
  if (x > 710) x = 710; // 2^1024 below: Infinity
  // Adding 1.5 * 2^52 rounds to an integer (to nearest, ties to even): what the C twin does
  // with the same addition, whose low bits then make 2^k.
  const k = x * LOG2E + MAGIC - MAGIC;
  const r = x - k * LN2_HI - k * LN2_LO;
  const p =
    1 +
    r *
      (1 +
        r *
          (C2 +
            r *
              (C3 +
                r *
                  (C4 +
                    r *
                      (C5 +
                        r *
                          (C6 +
                            r *
                              (C7 + r * (C8 + r * (C9 + r * (C10 + r * (C11 + r * (C12 + r * C13))))))))))));
  return p * POW2[k + 1023];
}
