;; The batch's uint8 → float32 scaling (../data-kernels.ts; the data's side is
;; ../../data/dataset.ts, Split.gather): dst[i] = src[i]·s − t for n bytes from $src into n floats
;; from $dst, over the engine's shared memory.
;;
;; Computed as the TypeScript twin computes it, so the bits are the same: the byte converted to
;; float64 (exact), multiplied by the float64 s, t subtracted in float64 (each correctly rounded,
;; no fused multiply-add), then rounded once to float32 (round to nearest even, as a store into a
;; Float32Array). Two float64 lanes per vector: a float32 multiply would round differently.
;;
;; Sixteen bytes per iteration: widened to four vectors of four u32, each converted two by two
;; to float64, scaled, shifted and narrowed back into four floats (written out four times: Node
;; 20 does not inline WebAssembly calls); the last n mod 16 bytes one by one with the same scalar
;; operations.
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func (export "scaleBytes") (param $src i32) (param $dst i32) (param $n i32) (param $s f64) (param $t f64)
    (local $i i32) (local $whole i32) (local $out i32) (local $bytes v128) (local $half v128) (local $q v128) (local $sv v128) (local $tv v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $tv (f64x2.splat (local.get $t)))
    (local.set $whole (i32.and (local.get $n) (i32.const -16)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (local.set $bytes (v128.load (i32.add (local.get $src) (local.get $i))))
      (local.set $out (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $half (i16x8.extend_low_i8x16_u (local.get $bytes)))
      (local.set $q (i32x4.extend_low_i16x8_u (local.get $half)))
      (v128.store offset=0 (local.get $out)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $q)) (local.get $sv)) (local.get $tv)))
          (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $q) (local.get $q))) (local.get $sv)) (local.get $tv)))))
      (local.set $q (i32x4.extend_high_i16x8_u (local.get $half)))
      (v128.store offset=16 (local.get $out)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $q)) (local.get $sv)) (local.get $tv)))
          (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $q) (local.get $q))) (local.get $sv)) (local.get $tv)))))
      (local.set $half (i16x8.extend_high_i8x16_u (local.get $bytes)))
      (local.set $q (i32x4.extend_low_i16x8_u (local.get $half)))
      (v128.store offset=32 (local.get $out)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $q)) (local.get $sv)) (local.get $tv)))
          (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $q) (local.get $q))) (local.get $sv)) (local.get $tv)))))
      (local.set $q (i32x4.extend_high_i16x8_u (local.get $half)))
      (v128.store offset=48 (local.get $out)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.mul (f64x2.convert_low_i32x4_u (local.get $q)) (local.get $sv)) (local.get $tv)))
          (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.mul (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $q) (local.get $q))) (local.get $sv)) (local.get $tv)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vector)))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (f32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
        (f32.demote_f64 (f64.sub (f64.mul (f64.convert_i32_u (i32.load8_u (i32.add (local.get $src) (local.get $i)))) (local.get $s)) (local.get $t))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $scalar))))
)
