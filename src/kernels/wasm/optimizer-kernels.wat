;; WebAssembly SIMD twins of the optimizer's element-wise pieces (../../../optim/*.ts) and the
;; sum of squares behind gradient norms, over arrays in the engine's shared memory (the
;; TypeScript side is ../optimizer-kernels.ts).
;; Addresses are byte offsets, lengths are element counts; every kernel works on n floats
;; from its operands' starts: whole vectors with SIMD operations, the rest with the scalar
;; operations of the same IEEE rounding, so a tail element gets the bits a lane would.
;;
;; Two kinds of arithmetic, each matched exactly by the piece's TypeScript reference:
;;  * float32, every operation rounded, in the order written, scalars rounded to float32
;;    (negate, scale, addScaled, adam): the references use Math.fround, since a +, −, ×, ÷
;;    or √ of float32 numbers computed in double and rounded once is the correctly rounded
;;    float32 result. torch computes these in float32 too, with its scalars cast to float.
;;  * float64 with one rounding per stored value (trace, rms): what a plain TypeScript loop
;;    over Float32Arrays computes, so those loops are the references. RMSprop needs it: its
;;    centered variance s − ḡ² cancels once the loss is small, and float32 roundings inside
;;    the RMSprop chain (rms, then trace) moved the rmsprop_centered_momentum fixture case
;;    past its tolerance. Two float64 lanes per vector make these slower per element than the
;;    float32 kernels; neither is in the benchmark's Adam chains.
;; No fused multiply-add anywhere.
;;
;; Running averages (Adam's m and v, the momentum buffer, RMSprop's averages) are flushed to
;; zero when their float32 value falls below the smallest normal float32, 2⁻¹²⁶ ≈ 1.2e-38,
;; as native code built with flush-to-zero does (WebAssembly offers no such mode). A weight
;; whose gradient stays 0 has its m decay by β1 every step into the subnormal range within
;; some 800 steps, and x86 then takes microcode assists on every operation touching it,
;; which slowed Adam's pass several times over (bench/NOTES.md). A flushed moment moves its
;; parameter by under γ·1e-38/ε-scale amounts that float32 parameters cannot represent anyway.
;;
;; Whole-vector passes rather than one fused pass per chain: running the pieces block by
;; block so that u stays in L1 between them bought about 2 % (bench/NOTES.md) and would have
;; tied every piece to the chain's loop. Folding the learning rate into the θ + u pass is
;; kept (transform.ts, finalScale: it changes no bit).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; u ← −u
  (func (export "negate") (param $u i32) (param $n i32)
    (local $i i32) (local $whole i32) (local $end i32)
    (local.set $whole (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (v128.store (i32.add (local.get $u) (local.get $i)) (f32x4.neg (v128.load (i32.add (local.get $u) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vector)))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $u) (local.get $i)) (f32.neg (f32.load (i32.add (local.get $u) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $scalar))))

  ;; u ← s·u
  (func (export "scale") (param $u i32) (param $n i32) (param $s f32)
    (local $i i32) (local $whole i32) (local $end i32) (local $sv v128)
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $whole (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (v128.store (i32.add (local.get $u) (local.get $i)) (f32x4.mul (local.get $sv) (v128.load (i32.add (local.get $u) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vector)))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $u) (local.get $i)) (f32.mul (local.get $s) (f32.load (i32.add (local.get $u) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $scalar))))

  ;; u ← u + s·x   (s = 1: u + x exactly, since 1·x = x)
  (func (export "addScaled") (param $u i32) (param $x i32) (param $n i32) (param $s f32)
    (local $i i32) (local $whole i32) (local $end i32) (local $sv v128)
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $whole (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (v128.store (i32.add (local.get $u) (local.get $i))
        (f32x4.add (v128.load (i32.add (local.get $u) (local.get $i)))
          (f32x4.mul (local.get $sv) (v128.load (i32.add (local.get $x) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vector)))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $u) (local.get $i))
        (f32.add (f32.load (i32.add (local.get $u) (local.get $i)))
          (f32.mul (local.get $s) (f32.load (i32.add (local.get $x) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $scalar))))

  ;; Momentum (pieces.ts trace), in float64 with one rounding per stored value, c = 1 − τ:
  ;;   b ← u if $first, else b ← μ·b + c·u             (stored: rounded to float32, flushed below 2⁻¹²⁶)
  ;;   u ← u + μ·b if $nesterov, else u ← b            (b as stored)
  ;; Two floats per iteration: each is promoted, computed and demoted on its own lane.
  (func (export "trace") (param $u i32) (param $b i32) (param $n i32) (param $mu f64) (param $c f64) (param $first i32) (param $nesterov i32)
    (local $i i32) (local $whole i32) (local $end i32) (local $muv v128) (local $cv v128)
    (local $g v128) (local $bv v128) (local $bf v128) (local $gs f64) (local $bs f64) (local $bfs f32) (local $tiny v128)
    (local.set $tiny (f32x4.splat (f32.const 0x1p-126)))
    (local.set $muv (f64x2.splat (local.get $mu)))
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $whole (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (local.set $g (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $u) (local.get $i)))))
      (local.set $bf (select (result v128) (v128.load64_zero (i32.add (local.get $u) (local.get $i)))
        (f32x4.demote_f64x2_zero
          (f64x2.add (f64x2.mul (local.get $muv) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $b) (local.get $i)))))
            (f64x2.mul (local.get $cv) (local.get $g))))
        (local.get $first)))
      (local.set $bf (v128.andnot (local.get $bf) (f32x4.lt (f32x4.abs (local.get $bf)) (local.get $tiny))))
      (v128.store64_lane 0 (i32.add (local.get $b) (local.get $i)) (local.get $bf))
      (local.set $bv (f64x2.promote_low_f32x4 (local.get $bf)))
      (v128.store64_lane 0 (i32.add (local.get $u) (local.get $i))
        (f32x4.demote_f64x2_zero
          (select (result v128) (f64x2.add (local.get $g) (f64x2.mul (local.get $muv) (local.get $bv))) (local.get $bv) (local.get $nesterov))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $vector)))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $gs (f64.promote_f32 (f32.load (i32.add (local.get $u) (local.get $i)))))
      (local.set $bfs (select (result f32) (f32.load (i32.add (local.get $u) (local.get $i)))
        (f32.demote_f64
          (f64.add (f64.mul (local.get $mu) (f64.promote_f32 (f32.load (i32.add (local.get $b) (local.get $i)))))
            (f64.mul (local.get $c) (local.get $gs))))
        (local.get $first)))
      (local.set $bfs (select (f32.const 0) (local.get $bfs) (f32.lt (f32.abs (local.get $bfs)) (f32.const 0x1p-126))))
      (f32.store (i32.add (local.get $b) (local.get $i)) (local.get $bfs))
      (local.set $bs (f64.promote_f32 (local.get $bfs)))
      (f32.store (i32.add (local.get $u) (local.get $i))
        (f32.demote_f64 (select (result f64) (f64.add (local.get $gs) (f64.mul (local.get $mu) (local.get $bs))) (local.get $bs) (local.get $nesterov))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $scalar))))

  ;; Adam's scaling (adam.ts scaleByAdam), c1 = 1 − β1, c2 = 1 − β2, s1 = 1 − β1ᵗ,
  ;; s2 = √(1 − β2ᵗ) (the bias corrections):
  ;;   m ← β1·m + c1·g,   v ← β2·v + c2·(g·g)      (each flushed to 0 below 2⁻¹²⁶, see below)
  ;;   v_max ← max(v_max, v) and v ← v_max   if $amsgrad
  ;;   u ← (m / s1) / (√v / s2 + ε)
  (func (export "adam") (param $u i32) (param $m i32) (param $v i32) (param $vmax i32) (param $n i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $s1 f32) (param $s2 f32) (param $eps f32) (param $amsgrad i32)
    (local $i i32) (local $whole i32) (local $end i32)
    (local $b1v v128) (local $c1v v128) (local $b2v v128) (local $c2v v128) (local $s1v v128) (local $s2v v128) (local $epsv v128)
    (local $g v128) (local $mv v128) (local $vv v128) (local $gs f32) (local $ms f32) (local $vs f32) (local $tiny v128)
    (local.set $tiny (f32x4.splat (f32.const 0x1p-126)))
    (local.set $b1v (f32x4.splat (local.get $b1)))
    (local.set $c1v (f32x4.splat (local.get $c1)))
    (local.set $b2v (f32x4.splat (local.get $b2)))
    (local.set $c2v (f32x4.splat (local.get $c2)))
    (local.set $s1v (f32x4.splat (local.get $s1)))
    (local.set $s2v (f32x4.splat (local.get $s2)))
    (local.set $epsv (f32x4.splat (local.get $eps)))
    (local.set $whole (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (local.set $g (v128.load (i32.add (local.get $u) (local.get $i))))
      (local.set $mv (f32x4.add (f32x4.mul (local.get $b1v) (v128.load (i32.add (local.get $m) (local.get $i))))
        (f32x4.mul (local.get $c1v) (local.get $g))))
      (local.set $mv (v128.andnot (local.get $mv) (f32x4.lt (f32x4.abs (local.get $mv)) (local.get $tiny))))
      (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mv))
      (local.set $vv (f32x4.add (f32x4.mul (local.get $b2v) (v128.load (i32.add (local.get $v) (local.get $i))))
        (f32x4.mul (local.get $c2v) (f32x4.mul (local.get $g) (local.get $g)))))
      (local.set $vv (v128.andnot (local.get $vv) (f32x4.lt (f32x4.abs (local.get $vv)) (local.get $tiny))))
      (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vv))
      (if (local.get $amsgrad)
        (then
          (local.set $vv (f32x4.max (v128.load (i32.add (local.get $vmax) (local.get $i))) (local.get $vv)))
          (v128.store (i32.add (local.get $vmax) (local.get $i)) (local.get $vv))))
      (v128.store (i32.add (local.get $u) (local.get $i))
        (f32x4.div (f32x4.div (local.get $mv) (local.get $s1v))
          (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (local.get $s2v)) (local.get $epsv))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vector)))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $gs (f32.load (i32.add (local.get $u) (local.get $i))))
      (local.set $ms (f32.add (f32.mul (local.get $b1) (f32.load (i32.add (local.get $m) (local.get $i))))
        (f32.mul (local.get $c1) (local.get $gs))))
      (local.set $ms (select (f32.const 0) (local.get $ms) (f32.lt (f32.abs (local.get $ms)) (f32.const 0x1p-126))))
      (f32.store (i32.add (local.get $m) (local.get $i)) (local.get $ms))
      (local.set $vs (f32.add (f32.mul (local.get $b2) (f32.load (i32.add (local.get $v) (local.get $i))))
        (f32.mul (local.get $c2) (f32.mul (local.get $gs) (local.get $gs)))))
      (local.set $vs (select (f32.const 0) (local.get $vs) (f32.lt (f32.abs (local.get $vs)) (f32.const 0x1p-126))))
      (f32.store (i32.add (local.get $v) (local.get $i)) (local.get $vs))
      (if (local.get $amsgrad)
        (then
          (local.set $vs (f32.max (f32.load (i32.add (local.get $vmax) (local.get $i))) (local.get $vs)))
          (f32.store (i32.add (local.get $vmax) (local.get $i)) (local.get $vs))))
      (f32.store (i32.add (local.get $u) (local.get $i))
        (f32.div (f32.div (local.get $ms) (local.get $s1))
          (f32.add (f32.div (f32.sqrt (local.get $vs)) (local.get $s2)) (local.get $eps))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $scalar))))

  ;; RMSprop's scaling (rmsprop.ts scaleByRms), in float64 with one rounding per stored
  ;; value, c = 1 − α:
  ;;   s ← α·s + c·(g·g)                                 (stored: rounded to float32, flushed below 2⁻¹²⁶)
  ;;   ḡ ← α·ḡ + c·g and s̃ ← s − ḡ·ḡ   if $centered     (s and ḡ as stored, ḡ flushed too), else s̃ ← s
  ;;   u ← g / (√s̃ + ε)
  ;; Two floats per iteration, one per float64 lane.
  (func (export "rms") (param $u i32) (param $sq i32) (param $avg i32) (param $n i32)
    (param $alpha f64) (param $c f64) (param $eps f64) (param $centered i32)
    (local $i i32) (local $whole i32) (local $end i32)
    (local $av v128) (local $cv v128) (local $epsv v128) (local $g v128) (local $sv v128) (local $mean v128)
    (local $gs f64) (local $ss f64) (local $means f64) (local $fs f32) (local $tiny v128)
    (local.set $tiny (f32x4.splat (f32.const 0x1p-126)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $epsv (f64x2.splat (local.get $eps)))
    (local.set $whole (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (local.set $g (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $u) (local.get $i)))))
      (local.set $sv (f32x4.demote_f64x2_zero
        (f64x2.add (f64x2.mul (local.get $av) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $sq) (local.get $i)))))
          (f64x2.mul (local.get $cv) (f64x2.mul (local.get $g) (local.get $g))))))
      (local.set $sv (v128.andnot (local.get $sv) (f32x4.lt (f32x4.abs (local.get $sv)) (local.get $tiny))))
      (v128.store64_lane 0 (i32.add (local.get $sq) (local.get $i)) (local.get $sv))
      (local.set $sv (f64x2.promote_low_f32x4 (local.get $sv)))
      (if (local.get $centered)
        (then
          (local.set $mean (f32x4.demote_f64x2_zero
            (f64x2.add (f64x2.mul (local.get $av) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $avg) (local.get $i)))))
              (f64x2.mul (local.get $cv) (local.get $g)))))
          (local.set $mean (v128.andnot (local.get $mean) (f32x4.lt (f32x4.abs (local.get $mean)) (local.get $tiny))))
          (v128.store64_lane 0 (i32.add (local.get $avg) (local.get $i)) (local.get $mean))
          (local.set $mean (f64x2.promote_low_f32x4 (local.get $mean)))
          (local.set $sv (f64x2.sub (local.get $sv) (f64x2.mul (local.get $mean) (local.get $mean))))))
      (v128.store64_lane 0 (i32.add (local.get $u) (local.get $i))
        (f32x4.demote_f64x2_zero (f64x2.div (local.get $g) (f64x2.add (f64x2.sqrt (local.get $sv)) (local.get $epsv)))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $vector)))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $gs (f64.promote_f32 (f32.load (i32.add (local.get $u) (local.get $i)))))
      (local.set $fs (f32.demote_f64
        (f64.add (f64.mul (local.get $alpha) (f64.promote_f32 (f32.load (i32.add (local.get $sq) (local.get $i)))))
          (f64.mul (local.get $c) (f64.mul (local.get $gs) (local.get $gs))))))
      (local.set $fs (select (f32.const 0) (local.get $fs) (f32.lt (f32.abs (local.get $fs)) (f32.const 0x1p-126))))
      (f32.store (i32.add (local.get $sq) (local.get $i)) (local.get $fs))
      (local.set $ss (f64.promote_f32 (local.get $fs)))
      (if (local.get $centered)
        (then
          (local.set $fs (f32.demote_f64
            (f64.add (f64.mul (local.get $alpha) (f64.promote_f32 (f32.load (i32.add (local.get $avg) (local.get $i)))))
              (f64.mul (local.get $c) (local.get $gs)))))
          (local.set $fs (select (f32.const 0) (local.get $fs) (f32.lt (f32.abs (local.get $fs)) (f32.const 0x1p-126))))
          (f32.store (i32.add (local.get $avg) (local.get $i)) (local.get $fs))
          (local.set $means (f64.promote_f32 (local.get $fs)))
          (local.set $ss (f64.sub (local.get $ss) (f64.mul (local.get $means) (local.get $means))))))
      (f32.store (i32.add (local.get $u) (local.get $i))
        (f32.demote_f64 (f64.div (local.get $gs) (f64.add (f64.sqrt (local.get $ss)) (local.get $eps)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $scalar))))

  ;; Σ x² in float64 (exact products of float32 numbers), in eight lanes: element i of the
  ;; first n − n mod 8 goes to lane i mod 8, each lane summed in increasing i; the total is
  ;; ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), then the last n mod 8 squares are
  ;; added one by one. Eight independent sums instead of one hide the add's latency, which
  ;; bounds a single running sum (optimizer-kernels.ts's reference sums in this same order).
  (func (export "sumOfSquares") (param $x i32) (param $n i32) (result f64)
    (local $i i32) (local $whole i32) (local $end i32) (local $lo v128) (local $hi v128) (local $y f64)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $t v128) (local $sum f64)
    (local.set $whole (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (local.set $lo (v128.load (i32.add (local.get $x) (local.get $i))))
      (local.set $hi (v128.load offset=16 (i32.add (local.get $x) (local.get $i))))
      (local.set $t (f64x2.promote_low_f32x4 (local.get $lo)))
      (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $t) (local.get $t))))
      (local.set $t (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $lo) (local.get $lo))))
      (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $t) (local.get $t))))
      (local.set $t (f64x2.promote_low_f32x4 (local.get $hi)))
      (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $t) (local.get $t))))
      (local.set $t (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $hi) (local.get $hi))))
      (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $t) (local.get $t))))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $vector)))
    (local.set $sum
      (f64.add
        (f64.add
          (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0)))
          (f64.add (f64x2.extract_lane 0 (local.get $a1)) (f64x2.extract_lane 1 (local.get $a1))))
        (f64.add
          (f64.add (f64x2.extract_lane 0 (local.get $a2)) (f64x2.extract_lane 1 (local.get $a2)))
          (f64.add (f64x2.extract_lane 0 (local.get $a3)) (f64x2.extract_lane 1 (local.get $a3))))))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $y (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $i)))))
      (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $y) (local.get $y))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $scalar)))
    (local.get $sum))
)
