;; WebAssembly SIMD kernels for C = op(A)·op(B) (+ bias) over the engine's shared memory.
;; The JavaScript driver (../gemm.ts) cuts the product into cache blocks, calls the packers
;; below to copy each block into panels, and calls `macro` to run the register-blocked
;; micro-kernel over every 4×8 tile of the block. All addresses and strides are in bytes.
;;
;; Why this shape:
;;  * 4×8 register tile (4 rows of C × two f32x4 vectors). V8 gives wasm code 15 XMM
;;    registers (no AVX-512 zmm): 8 accumulators + 2 B vectors + 1 broadcast A value + 1
;;    product temporary fit without spilling. Of the tiles measured in cache (bench/NOTES.md)
;;    it was the fastest, tied with 2×16; larger tiles spill. Unrolling the p loop made it
;;    slower, so it is not unrolled. The tile keeps the vector multiply and add ports nearly
;;    full: 128-bit vectors without FMA allow a quarter of what AVX-512 FMA does on the same core.
;;  * Packed panels: B's block becomes panels of 8 columns, A's of 4 rows, each stored
;;    p-major, so the micro-kernel reads both as one forward stream with constant offsets,
;;    whatever the layout of the original operand. Packing is also what makes Aᵀ·B and A·Bᵀ
;;    cost the same as A·B: only the packer differs (contiguous copy or 4×4 transposes).
;;  * Every C element is accumulated as  init + a₀b₀ + a₁b₁ + … in increasing p, one
;;    f32 multiply and one f32 add each, across k-blocks too (C is reloaded, not summed
;;    separately). That is exactly the order of the reference kernels in ../reference.ts,
;;    so the two give identical bits, and a partition of C between threads cannot change
;;    a result. The relaxed-SIMD build (assemble.ts) swaps the mul+add pair for
;;    f32x4.relaxed_madd, trading that identity for fused multiply-adds.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; C[4×8] at $c (rows $ldc bytes apart) = init + Σ_p a[p]·b[p] over $kc steps, where
  ;; a is a packed A panel (4 floats per p) and b a packed B panel (8 floats per p).
  ;; init: 0 → zero, 1 → the values already in C (a later k-block), 2 → bias[8] at $bias.
  (func $micro (param $kc i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $init i32) (param $bias i32)
    (local $av v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local.set $r1 (i32.add (local.get $c) (local.get $ldc)))
    (local.set $r2 (i32.add (local.get $r1) (local.get $ldc)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $ldc)))
    (if (i32.eq (local.get $init) (i32.const 1))
      (then
        (local.set $c00 (v128.load (local.get $c)))
        (local.set $c01 (v128.load offset=16 (local.get $c)))
        (local.set $c10 (v128.load (local.get $r1)))
        (local.set $c11 (v128.load offset=16 (local.get $r1)))
        (local.set $c20 (v128.load (local.get $r2)))
        (local.set $c21 (v128.load offset=16 (local.get $r2)))
        (local.set $c30 (v128.load (local.get $r3)))
        (local.set $c31 (v128.load offset=16 (local.get $r3))))
      (else
        (if (i32.eq (local.get $init) (i32.const 2))
          (then
            (local.set $c00 (v128.load (local.get $bias)))
            (local.set $c01 (v128.load offset=16 (local.get $bias)))
            (local.set $c10 (local.get $c00))
            (local.set $c11 (local.get $c01))
            (local.set $c20 (local.get $c00))
            (local.set $c21 (local.get $c01))
            (local.set $c30 (local.get $c00))
            (local.set $c31 (local.get $c01))))))
    ;; (v128 locals start at zero, which is init 0.)
    (if (local.get $kc)
      (then
        (loop $p
          (local.set $b0 (v128.load (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $av (v128.load32_splat (local.get $a)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=4 (local.get $a)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=8 (local.get $a)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=12 (local.get $a)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))
          (br_if $p (local.get $kc)))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (v128.store (local.get $r1) (local.get $c10))
    (v128.store offset=16 (local.get $r1) (local.get $c11))
    (v128.store (local.get $r2) (local.get $c20))
    (v128.store offset=16 (local.get $r2) (local.get $c21))
    (v128.store (local.get $r3) (local.get $c30))
    (v128.store offset=16 (local.get $r3) (local.get $c31)))

  ;; Copies a $rows×$cols block of f32 between two strided places (row strides in bytes).
  (func $copyBlock (param $src i32) (param $lds i32) (param $dst i32) (param $ldd i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $j i32)
    (loop $r
      (local.set $j (i32.const 0))
      (loop $col
        (f32.store
          (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))
          (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $col (i32.lt_u (local.get $j) (local.get $cols))))
      (local.set $src (i32.add (local.get $src) (local.get $lds)))
      (local.set $dst (i32.add (local.get $dst) (local.get $ldd)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $r (i32.lt_u (local.get $i) (local.get $rows)))))

  ;; C block [$mc×$nc] at $c (row stride $ldc) from a packed A block ($mc rows in panels of
  ;; 4) and a packed B block ($nc columns in panels of 8), each $kc deep. Loop order: the
  ;; B panel (kc×8, 8 KiB at kc = 256) stays in L1 while every A panel of the block streams
  ;; past it from L2. Tiles cut by the block's edge run on a 4×8 scratch tile at $tile
  ;; (with 8 more floats after it for a zero-padded bias), then their valid part is copied.
  (func (export "macro")
    (param $mc i32) (param $nc i32) (param $kc i32) (param $pa i32) (param $pb i32)
    (param $c i32) (param $ldc i32) (param $init i32) (param $bias i32) (param $tile i32)
    (local $i i32) (local $j i32) (local $rows i32) (local $cols i32)
    (local $panelA i32) (local $panelB i32) (local $cij i32) (local $biasPad i32)
    (local.set $biasPad (i32.add (local.get $tile) (i32.const 128)))
    (loop $jr
      (local.set $cols (select (i32.const 8) (i32.sub (local.get $nc) (local.get $j))
        (i32.ge_u (i32.sub (local.get $nc) (local.get $j)) (i32.const 8))))
      (local.set $panelB (i32.add (local.get $pb) (i32.shl (i32.mul (local.get $j) (local.get $kc)) (i32.const 2))))
      (local.set $i (i32.const 0))
      (loop $ir
        (local.set $rows (select (i32.const 4) (i32.sub (local.get $mc) (local.get $i))
          (i32.ge_u (i32.sub (local.get $mc) (local.get $i)) (i32.const 4))))
        (local.set $panelA (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $i) (local.get $kc)) (i32.const 2))))
        (local.set $cij (i32.add (local.get $c)
          (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2)))))
        (if (i32.and (i32.eq (local.get $rows) (i32.const 4)) (i32.eq (local.get $cols) (i32.const 8)))
          (then
            (call $micro (local.get $kc) (local.get $panelA) (local.get $panelB) (local.get $cij) (local.get $ldc)
              (local.get $init) (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
          (else
            (if (i32.eq (local.get $init) (i32.const 1))
              (then (call $copyBlock (local.get $cij) (local.get $ldc) (local.get $tile) (i32.const 32) (local.get $rows) (local.get $cols))))
            (if (i32.eq (local.get $init) (i32.const 2))
              (then
                (v128.store (local.get $biasPad) (v128.const i32x4 0 0 0 0))
                (v128.store offset=16 (local.get $biasPad) (v128.const i32x4 0 0 0 0))
                (call $copyBlock (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))) (i32.const 0)
                  (local.get $biasPad) (i32.const 0) (i32.const 1) (local.get $cols))))
            (call $micro (local.get $kc) (local.get $panelA) (local.get $panelB) (local.get $tile) (i32.const 32)
              (local.get $init) (local.get $biasPad))
            (call $copyBlock (local.get $tile) (i32.const 32) (local.get $cij) (local.get $ldc) (local.get $rows) (local.get $cols))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $ir (i32.lt_u (local.get $i) (local.get $mc))))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br_if $jr (i32.lt_u (local.get $j) (local.get $nc)))))

  ;; Packs $len lanes into panels of $width (4 or 8) lanes, $kc deep, when a panel's lanes
  ;; are contiguous in the source: dst[p·width + r] = src[p·ld + r] (A stored [k, m] for
  ;; Aᵀ·B, B stored [k, n] for A·B and Aᵀ·B). The last panel is padded with zeros.
  (func (export "packContiguous") (param $src i32) (param $ld i32) (param $kc i32) (param $len i32) (param $width i32) (param $dst i32)
    (local $q i32) (local $w i32) (local $p i32) (local $s i32) (local $r i32)
    (loop $panel
      (local.set $w (select (local.get $width) (i32.sub (local.get $len) (local.get $q))
        (i32.ge_u (i32.sub (local.get $len) (local.get $q)) (local.get $width))))
      (local.set $s (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2))))
      (local.set $p (i32.const 0))
      (if (i32.eq (local.get $w) (i32.const 8))
        (then
          (loop $row8
            (v128.store (local.get $dst) (v128.load (local.get $s)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $s)))
            (local.set $s (i32.add (local.get $s) (local.get $ld)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br_if $row8 (i32.lt_u (local.get $p) (local.get $kc)))))
        (else
          (if (i32.and (i32.eq (local.get $w) (i32.const 4)) (i32.eq (local.get $width) (i32.const 4)))
            (then
              (loop $row4
                (v128.store (local.get $dst) (v128.load (local.get $s)))
                (local.set $s (i32.add (local.get $s) (local.get $ld)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br_if $row4 (i32.lt_u (local.get $p) (local.get $kc)))))
            (else
              (loop $rowEdge
                (local.set $r (i32.const 0))
                (loop $lane
                  ;; (an if, not a select: lanes past the edge must not be read at all)
                  (f32.store (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2)))
                    (if (result f32) (i32.lt_u (local.get $r) (local.get $w))
                      (then (f32.load (i32.add (local.get $s) (i32.shl (local.get $r) (i32.const 2)))))
                      (else (f32.const 0))))
                  (local.set $r (i32.add (local.get $r) (i32.const 1)))
                  (br_if $lane (i32.lt_u (local.get $r) (local.get $width))))
                (local.set $s (i32.add (local.get $s) (local.get $ld)))
                (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $width) (i32.const 2))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br_if $rowEdge (i32.lt_u (local.get $p) (local.get $kc))))))))
      (local.set $q (i32.add (local.get $q) (local.get $width)))
      (br_if $panel (i32.lt_u (local.get $q) (local.get $len)))))

  ;; Four source rows, $kc long, become four lanes: dst[p·stride + 4r…] ← src[r·ld + p],
  ;; four p at a time through a 4×4 transpose in registers, the last few p one by one.
  (func $transpose4 (param $src i32) (param $ld i32) (param $kc i32) (param $dst i32) (param $stride i32)
    (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $p i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $s1 (i32.add (local.get $src) (local.get $ld)))
    (local.set $s2 (i32.add (local.get $s1) (local.get $ld)))
    (local.set $s3 (i32.add (local.get $s2) (local.get $ld)))
    (block $done
      (loop $quad
        (br_if $done (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
        (local.set $x0 (v128.load (local.get $src)))
        (local.set $x1 (v128.load (local.get $s1)))
        (local.set $x2 (v128.load (local.get $s2)))
        (local.set $x3 (v128.load (local.get $s3)))
        ;; t0 = x0[0] x1[0] x0[1] x1[1], t1 = x0[2] x1[2] x0[3] x1[3], t2/t3 the same for x2, x3
        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x0) (local.get $x1)))
        (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x0) (local.get $x1)))
        (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x2) (local.get $x3)))
        (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x2) (local.get $x3)))
        (v128.store (local.get $dst)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
        (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
        (v128.store (local.get $dst)
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
        (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
        (v128.store (local.get $dst)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
        (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
        (v128.store (local.get $dst)
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
        (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $s1 (i32.add (local.get $s1) (i32.const 16)))
        (local.set $s2 (i32.add (local.get $s2) (i32.const 16)))
        (local.set $s3 (i32.add (local.get $s3) (i32.const 16)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $quad)))
    (block $end
      (loop $single
        (br_if $end (i32.ge_u (local.get $p) (local.get $kc)))
        (f32.store (local.get $dst) (f32.load (local.get $src)))
        (f32.store offset=4 (local.get $dst) (f32.load (local.get $s1)))
        (f32.store offset=8 (local.get $dst) (f32.load (local.get $s2)))
        (f32.store offset=12 (local.get $dst) (f32.load (local.get $s3)))
        (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $s1 (i32.add (local.get $s1) (i32.const 4)))
        (local.set $s2 (i32.add (local.get $s2) (i32.const 4)))
        (local.set $s3 (i32.add (local.get $s3) (i32.const 4)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $single))))

  ;; Packs $len lanes into panels of $width (4 or 8) lanes, $kc deep, when each lane is a
  ;; source row: dst[p·width + r] = src[r·ld + p] (A stored [m, k] for A·B and A·Bᵀ, B
  ;; stored [n, k] for A·Bᵀ). Full groups of 4 lanes go through $transpose4; the lanes of a
  ;; short last panel are gathered one by one and the rest of the panel is zero.
  (func (export "packTransposed") (param $src i32) (param $ld i32) (param $kc i32) (param $len i32) (param $width i32) (param $dst i32)
    (local $q i32) (local $g i32) (local $w i32) (local $p i32) (local $r i32) (local $out i32)
    (loop $panel
      (local.set $w (select (local.get $width) (i32.sub (local.get $len) (local.get $q))
        (i32.ge_u (i32.sub (local.get $len) (local.get $q)) (local.get $width))))
      (if (i32.eq (local.get $w) (local.get $width))
        (then
          (local.set $g (i32.const 0))
          (loop $group
            (call $transpose4
              (i32.add (local.get $src) (i32.mul (i32.add (local.get $q) (local.get $g)) (local.get $ld)))
              (local.get $ld) (local.get $kc)
              (i32.add (local.get $dst) (i32.shl (local.get $g) (i32.const 2)))
              (i32.shl (local.get $width) (i32.const 2)))
            (local.set $g (i32.add (local.get $g) (i32.const 4)))
            (br_if $group (i32.lt_u (local.get $g) (local.get $width)))))
        (else
          (local.set $r (i32.const 0))
          (loop $lane
            (local.set $out (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))))
            (local.set $p (i32.const 0))
            (loop $depth
              (f32.store (local.get $out)
                (if (result f32) (i32.lt_u (local.get $r) (local.get $w))
                  (then (f32.load (i32.add
                    (i32.add (local.get $src) (i32.mul (i32.add (local.get $q) (local.get $r)) (local.get $ld)))
                    (i32.shl (local.get $p) (i32.const 2)))))
                  (else (f32.const 0))))
              (local.set $out (i32.add (local.get $out) (i32.shl (local.get $width) (i32.const 2))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br_if $depth (i32.lt_u (local.get $p) (local.get $kc))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br_if $lane (i32.lt_u (local.get $r) (local.get $width))))))
      (local.set $dst (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $width) (local.get $kc)) (i32.const 2))))
      (local.set $q (i32.add (local.get $q) (local.get $width)))
      (br_if $panel (i32.lt_u (local.get $q) (local.get $len))))))
