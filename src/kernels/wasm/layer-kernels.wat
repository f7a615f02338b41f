;; WebAssembly SIMD kernels of the layers (the TypeScript side is ../layer-kernels.ts): ReLU,
;; and the data movement of conv2d and max pooling, over arrays in the engine's shared memory.
;; Addresses are byte offsets, lengths are element counts. Only copies, comparisons and sums
;; in the order of the layers' own loops (their plain twins), so the bits are theirs. They
;; replace JIT'd JavaScript loops whose bounds checks, float32 ↔ float64 conversions and
;; branches on data cost several times more per element (bench/NOTES.md has the figures).
;; No fused multiply-add anywhere. Some kernels run past the ~60 lines a TypeScript function
;; is held to: WAT spells every operation on its own line, and cutting a loop nest into
;; functions would add a call to its inner loop.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; y ← x > 0 ? x : 0 (NaN and −0 give +0, as the reference's comparison does)
  (func (export "relu") (param $x i32) (param $y i32) (param $n i32)
    (local $i i32) (local $whole i32) (local $end i32) (local $v v128) (local $s f32)
    (local.set $whole (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
      (v128.store (i32.add (local.get $y) (local.get $i)) (v128.and (local.get $v) (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vector)))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $s (f32.load (i32.add (local.get $x) (local.get $i))))
      (f32.store (i32.add (local.get $y) (local.get $i)) (select (local.get $s) (f32.const 0) (f32.gt (local.get $s) (f32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $scalar))))

  ;; dx ← dy · (x > 0 ? 1 : 0)  (a multiplication, as the reference's: −0, NaN from ∞·0 kept)
  (func (export "reluBackward") (param $x i32) (param $dy i32) (param $dx i32) (param $n i32)
    (local $i i32) (local $whole i32) (local $end i32)
    (local.set $whole (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $vector
      (br_if $done (i32.ge_u (local.get $i) (local.get $whole)))
      (v128.store (i32.add (local.get $dx) (local.get $i))
        (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $i)))
          (v128.and (v128.const f32x4 1 1 1 1)
            (f32x4.gt (v128.load (i32.add (local.get $x) (local.get $i))) (v128.const f32x4 0 0 0 0)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vector)))
    (block $done (loop $scalar
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $dx) (local.get $i))
        (f32.mul (f32.load (i32.add (local.get $dy) (local.get $i)))
          (select (f32.const 1) (f32.const 0) (f32.gt (f32.load (i32.add (local.get $x) (local.get $i))) (f32.const 0)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $scalar))))

  ;; dst[map[t]] += src[t] for t < n in increasing t, skipping map[t] < 0: max pooling's
  ;; backward in general (map: the winners' indices).
  (func (export "scatterAdd") (param $dst i32) (param $src i32) (param $map i32) (param $n i32)
    (local $t i32) (local $k i32) (local $at i32)
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $t) (local.get $n)))
      (local.set $k (i32.load (i32.add (local.get $map) (i32.shl (local.get $t) (i32.const 2)))))
      (if (i32.ge_s (local.get $k) (i32.const 0))
        (then
          (local.set $at (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 2))))
          (f32.store (local.get $at)
            (f32.add (f32.load (local.get $at)) (f32.load (i32.add (local.get $src) (i32.shl (local.get $t) (i32.const 2))))))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $each))))

  ;; ---- conv2d's data movement (conv2d.ts has the layout and the reference loops). The
  ;; geometry at $geo, int32s written by conv2d.ts: 0 channels (of the group), 1 height,
  ;; 2 width, 3 kernel height, 4 kernel width, 5 vertical stride, 6 horizontal stride,
  ;; 7 top padding, 8 vertical dilation, 9 output height, 10 output width, 11 floats per input
  ;; sample; then for each kernel column j three int32s lo, hi, iw0: the output columns
  ;; [lo, hi) read input columns inside the image, starting at iw0.
  ;; Left out: at stride 1 with the output as wide as the input, a (k, b) block of col is the
  ;; input plane shifted by a constant and could move in one piece, but unfold and fold are
  ;; bound by col's memory traffic, not instructions, so it was no faster (bench/NOTES.md).

  ;; unfold (im2col, torch's F.unfold): row k = (c·kh + i)·kw + j of dst, for $batch samples
  ;; (rows of $batch·outH·outW floats), at column b·P + oh·outW + ow ←
  ;; x[b, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw], 0 outside the image. Each (k, b, oh)
  ;; is one run of dst: zeros, a piece of one input row (four floats at a time at stride 1),
  ;; zeros; dst is written front to back.
  (func (export "unfold") (param $dst i32) (param $x i32) (param $geo i32) (param $batch i32)
    (local $channels i32) (local $height i32) (local $width i32) (local $kh i32) (local $kw i32)
    (local $sh i32) (local $sw i32) (local $ph i32) (local $dh i32) (local $outH i32) (local $outW i32) (local $sample i32)
    (local $c i32) (local $i i32) (local $j i32) (local $b i32) (local $oh i32) (local $ih i32)
    (local $lo i32) (local $hi i32) (local $iw0 i32) (local $plane i32) (local $run i32) (local $d i32) (local $s i32) (local $end i32) (local $step i32)
    (local.set $channels (i32.load (local.get $geo)))
    (local.set $height (i32.load offset=4 (local.get $geo)))
    (local.set $width (i32.load offset=8 (local.get $geo)))
    (local.set $kh (i32.load offset=12 (local.get $geo)))
    (local.set $kw (i32.load offset=16 (local.get $geo)))
    (local.set $sh (i32.load offset=20 (local.get $geo)))
    (local.set $sw (i32.load offset=24 (local.get $geo)))
    (local.set $ph (i32.load offset=28 (local.get $geo)))
    (local.set $dh (i32.load offset=32 (local.get $geo)))
    (local.set $outH (i32.load offset=36 (local.get $geo)))
    (local.set $outW (i32.load offset=40 (local.get $geo)))
    (local.set $sample (i32.load offset=44 (local.get $geo)))
    (local.set $step (i32.shl (local.get $sw) (i32.const 2)))
    (local.set $d (local.get $dst))
    (block $cdone (loop $eachChannel
      (br_if $cdone (i32.ge_u (local.get $c) (local.get $channels)))
      (local.set $i (i32.const 0))
      (block $idone (loop $eachI
        (br_if $idone (i32.ge_u (local.get $i) (local.get $kh)))
        (local.set $j (i32.const 0))
        (block $jdone (loop $eachJ
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $kw)))
          (local.set $lo (i32.load offset=48 (i32.add (local.get $geo) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $hi (i32.load offset=52 (i32.add (local.get $geo) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $iw0 (i32.load offset=56 (i32.add (local.get $geo) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $b (i32.const 0))
          (block $bdone (loop $eachSample
            (br_if $bdone (i32.ge_u (local.get $b) (local.get $batch)))
            (local.set $plane (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $sample))
              (i32.mul (local.get $c) (i32.mul (local.get $height) (local.get $width)))) (i32.const 2))))
            (local.set $oh (i32.const 0))
            (block $ohdone (loop $eachRow
              (br_if $ohdone (i32.ge_u (local.get $oh) (local.get $outH)))
              (local.set $run (local.get $d))
              (local.set $end (i32.add (local.get $d) (i32.shl (local.get $outW) (i32.const 2))))
              (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sh)) (local.get $ph)) (i32.mul (local.get $i) (local.get $dh))))
              ;; (unsigned: a negative ih is outside too)
              (if (i32.lt_u (local.get $ih) (local.get $height))
                (then
                  (block $zdone (loop $leadingZeros
                    (br_if $zdone (i32.ge_u (local.get $d) (i32.add (local.get $run) (i32.shl (local.get $lo) (i32.const 2)))))
                    (f32.store (local.get $d) (f32.const 0))
                    (local.set $d (i32.add (local.get $d) (i32.const 4)))
                    (br $leadingZeros)))
                  (local.set $s (i32.add (local.get $plane) (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $width)) (local.get $iw0)) (i32.const 2))))
                  (if (i32.eq (local.get $sw) (i32.const 1))
                    (then
                      (block $vdone (loop $vector
                        (br_if $vdone (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (i32.add (local.get $run) (i32.shl (local.get $hi) (i32.const 2)))))
                        (v128.store (local.get $d) (v128.load (local.get $s)))
                        (local.set $d (i32.add (local.get $d) (i32.const 16)))
                        (local.set $s (i32.add (local.get $s) (i32.const 16)))
                        (br $vector)))))
                  (block $sdone (loop $scalar
                    (br_if $sdone (i32.ge_u (local.get $d) (i32.add (local.get $run) (i32.shl (local.get $hi) (i32.const 2)))))
                    (f32.store (local.get $d) (f32.load (local.get $s)))
                    (local.set $d (i32.add (local.get $d) (i32.const 4)))
                    (local.set $s (i32.add (local.get $s) (local.get $step)))
                    (br $scalar)))))
              ;; the trailing zeros, or the whole run when the input row is padding
              (block $zdone (loop $zeros4
                (br_if $zdone (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (local.get $end)))
                (v128.store (local.get $d) (v128.const i32x4 0 0 0 0))
                (local.set $d (i32.add (local.get $d) (i32.const 16)))
                (br $zeros4)))
              (block $zdone (loop $zeros
                (br_if $zdone (i32.ge_u (local.get $d) (local.get $end)))
                (f32.store (local.get $d) (f32.const 0))
                (local.set $d (i32.add (local.get $d) (i32.const 4)))
                (br $zeros)))
              (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
              (br $eachRow)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $eachSample)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $eachJ)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $eachI)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $eachChannel))))

  ;; fold (col2im, torch's F.fold), the transpose of unfold: dx[b, c, ih, iw] += col[k, column]
  ;; for every entry that unfold would have copied there, with k in decreasing order — for each
  ;; dx element that is increasing output position, the order of the earlier [positions × K]
  ;; layout's scatter (see conv2d.ts). One k never reaches the same dx element twice, so the
  ;; adds of a run go four at a time at stride 1.
  (func (export "fold") (param $dx i32) (param $col i32) (param $geo i32) (param $batch i32)
    (local $channels i32) (local $height i32) (local $width i32) (local $kh i32) (local $kw i32)
    (local $sh i32) (local $sw i32) (local $ph i32) (local $dh i32) (local $outH i32) (local $outW i32) (local $sample i32)
    (local $c i32) (local $i i32) (local $j i32) (local $b i32) (local $oh i32) (local $ih i32)
    (local $lo i32) (local $hi i32) (local $iw0 i32) (local $plane i32) (local $run i32) (local $d i32) (local $s i32) (local $end i32) (local $step i32)
    (local $positions i32)
    (local.set $channels (i32.load (local.get $geo)))
    (local.set $height (i32.load offset=4 (local.get $geo)))
    (local.set $width (i32.load offset=8 (local.get $geo)))
    (local.set $kh (i32.load offset=12 (local.get $geo)))
    (local.set $kw (i32.load offset=16 (local.get $geo)))
    (local.set $sh (i32.load offset=20 (local.get $geo)))
    (local.set $sw (i32.load offset=24 (local.get $geo)))
    (local.set $ph (i32.load offset=28 (local.get $geo)))
    (local.set $dh (i32.load offset=32 (local.get $geo)))
    (local.set $outH (i32.load offset=36 (local.get $geo)))
    (local.set $outW (i32.load offset=40 (local.get $geo)))
    (local.set $sample (i32.load offset=44 (local.get $geo)))
    (local.set $step (i32.shl (local.get $sw) (i32.const 2)))
    (local.set $positions (i32.mul (local.get $outH) (local.get $outW)))
    ;; $run walks col backwards, one (k, b) block of P floats at a time, from the last
    (local.set $run (i32.add (local.get $col) (i32.shl (i32.mul (i32.mul (local.get $batch) (local.get $positions))
      (i32.mul (local.get $channels) (i32.mul (local.get $kh) (local.get $kw)))) (i32.const 2))))
    (local.set $c (local.get $channels))
    (block $cdone (loop $eachChannel
      (br_if $cdone (i32.eqz (local.get $c)))
      (local.set $c (i32.sub (local.get $c) (i32.const 1)))
      (local.set $i (local.get $kh))
      (block $idone (loop $eachI
        (br_if $idone (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $j (local.get $kw))
        (block $jdone (loop $eachJ
          (br_if $jdone (i32.eqz (local.get $j)))
          (local.set $j (i32.sub (local.get $j) (i32.const 1)))
          (local.set $lo (i32.load offset=48 (i32.add (local.get $geo) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $hi (i32.load offset=52 (i32.add (local.get $geo) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $iw0 (i32.load offset=56 (i32.add (local.get $geo) (i32.mul (local.get $j) (i32.const 12)))))
          (local.set $run (i32.sub (local.get $run) (i32.shl (i32.mul (local.get $batch) (local.get $positions)) (i32.const 2))))
          (local.set $b (i32.const 0))
          (block $bdone (loop $eachSample
            (br_if $bdone (i32.ge_u (local.get $b) (local.get $batch)))
            (local.set $plane (i32.add (local.get $dx) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $sample))
              (i32.mul (local.get $c) (i32.mul (local.get $height) (local.get $width)))) (i32.const 2))))
            (local.set $oh (i32.const 0))
            (block $ohdone (loop $eachRow
              (br_if $ohdone (i32.ge_u (local.get $oh) (local.get $outH)))
              (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sh)) (local.get $ph)) (i32.mul (local.get $i) (local.get $dh))))
              (if (i32.lt_u (local.get $ih) (local.get $height))
                (then
                  ;; s: col[k, b·P + oh·outW + lo], d: dx[b, c, ih, iw0]
                  (local.set $s (i32.add (local.get $run) (i32.shl (i32.add (i32.add (i32.mul (local.get $b) (local.get $positions))
                    (i32.mul (local.get $oh) (local.get $outW))) (local.get $lo)) (i32.const 2))))
                  (local.set $end (i32.add (local.get $s) (i32.shl (i32.sub (local.get $hi) (local.get $lo)) (i32.const 2))))
                  (local.set $d (i32.add (local.get $plane) (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $width)) (local.get $iw0)) (i32.const 2))))
                  (if (i32.eq (local.get $sw) (i32.const 1))
                    (then
                      (block $vdone (loop $vector
                        (br_if $vdone (i32.gt_u (i32.add (local.get $s) (i32.const 16)) (local.get $end)))
                        (v128.store (local.get $d) (f32x4.add (v128.load (local.get $d)) (v128.load (local.get $s))))
                        (local.set $d (i32.add (local.get $d) (i32.const 16)))
                        (local.set $s (i32.add (local.get $s) (i32.const 16)))
                        (br $vector)))))
                  (block $sdone (loop $scalar
                    (br_if $sdone (i32.ge_u (local.get $s) (local.get $end)))
                    (f32.store (local.get $d) (f32.add (f32.load (local.get $d)) (f32.load (local.get $s))))
                    (local.set $d (i32.add (local.get $d) (local.get $step)))
                    (local.set $s (i32.add (local.get $s) (i32.const 4)))
                    (br $scalar)))))
              (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
              (br $eachRow)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $eachSample)))
          (br $eachJ)))
        (br $eachI)))
      (br $eachChannel))))

  ;; conv2d's products with its (packed, tiny) weights: for each sample b < $batch, line
  ;; l < $lines, output row o < $outs and position p < $width,
  ;;   y[b·$ySample + l·$yLine + o·$yRow + p] = bias[o] + Σ_t w[o, t]·x[b·$xSample + l·$xLine + i·$xRow + j·$xStep + p]
  ;; over the k = $kh·$kw terms t = i·$kw + j in increasing t, one f32 multiply and one f32 add
  ;; each: the sum and order of the matmul's micro-kernel started from the bias (gemm.wat), so
  ;; the same bits. A col (conv2d's [K, N]) is one line with $kh = 1, $kw = K and $xStep its
  ;; row; the padded input of the direct 3×3 convolution is $lines output rows with terms
  ;; (i, j) at i·$xRow + j (see conv2d.ts). Strides are in floats; the weights come packed
  ;; in panels of four rows, t-major ($w + (o/4)·k·16 + t·16 + (o%4)·4 bytes). A tile is four
  ;; rows × eight positions (eight accumulators, as gemm.wat's 4×8), read from x and written to
  ;; y in place, whatever their strides: the matmul would first have packed x and would have
  ;; written a plain [outs, N] matrix to be copied where conv2d wants it. A line's last tile
  ;; overlaps the one before when $width is not a multiple of 8 (those outputs are computed
  ;; twice, the same both times); under 8 positions they go one at a time. The relaxed-SIMD
  ;; build (assemble.ts) fuses the vector multiply-adds (f32x4.relaxed_madd); the scalar ones stay unfused.
  (func (export "batchedProduct") (param $y i32) (param $yRow i32) (param $ySample i32) (param $yLine i32)
    (param $x i32) (param $xRow i32) (param $xStep i32) (param $xSample i32) (param $xLine i32)
    (param $w i32) (param $bias i32) (param $outs i32) (param $kh i32) (param $kw i32) (param $width i32) (param $lines i32) (param $batch i32)
    (local $b i32) (local $l i32) (local $p i32) (local $o i32) (local $i i32) (local $j i32) (local $stepBytes i32) (local $skipBytes i32)
    (local $panelBytes i32) (local $outBytes i32)
    (local $c i32) (local $a i32) (local $out i32) (local $sampleCol i32) (local $sampleY i32)
    (local $av v128) (local $c0 v128) (local $c1 v128)
    (local $y00 v128) (local $y01 v128) (local $y10 v128) (local $y11 v128) (local $y20 v128) (local $y21 v128) (local $y30 v128) (local $y31 v128)
    (local $acc f32)
    ;; after a row of $kw terms, c moves on by $skipBytes to the next row's first
    (local.set $stepBytes (i32.shl (local.get $xStep) (i32.const 2)))
    (local.set $skipBytes (i32.shl (i32.sub (local.get $xRow) (i32.mul (local.get $kw) (local.get $xStep))) (i32.const 2)))
    (local.set $outBytes (i32.shl (local.get $yRow) (i32.const 2)))
    (local.set $panelBytes (i32.shl (i32.mul (local.get $kh) (local.get $kw)) (i32.const 4)))
    (block $bdone (loop $eachLine
      (if (i32.ge_u (local.get $l) (local.get $lines))
        (then
          (local.set $l (i32.const 0))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))))
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $sampleCol (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $xSample)) (i32.mul (local.get $l) (local.get $xLine))) (i32.const 2))))
      (local.set $sampleY (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $ySample)) (i32.mul (local.get $l) (local.get $yLine))) (i32.const 2))))
      (if (i32.ge_u (local.get $width) (i32.const 8))
        (then
          (local.set $p (i32.const 0))
          (block $pdone (loop $eachTile
            (if (i32.gt_u (i32.add (local.get $p) (i32.const 8)) (local.get $width))
              (then
                (br_if $pdone (i32.ge_u (local.get $p) (local.get $width)))
                (local.set $p (i32.sub (local.get $width) (i32.const 8)))))
            ;; four outputs at a time
            (local.set $o (i32.const 0))
            (block $odone (loop $eachPanel
              (br_if $odone (i32.gt_u (i32.add (local.get $o) (i32.const 4)) (local.get $outs)))
              (local.set $y00 (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
              (local.set $y10 (v128.load32_splat offset=4 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
              (local.set $y20 (v128.load32_splat offset=8 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
              (local.set $y30 (v128.load32_splat offset=12 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
              (local.set $y01 (local.get $y00))
              (local.set $y11 (local.get $y10))
              (local.set $y21 (local.get $y20))
              (local.set $y31 (local.get $y30))
              (local.set $c (i32.add (local.get $sampleCol) (i32.shl (local.get $p) (i32.const 2))))
              (local.set $a (i32.add (local.get $w) (i32.mul (i32.shr_u (local.get $o) (i32.const 2)) (local.get $panelBytes))))
              (local.set $i (local.get $kh))
              (loop $eachI
                (local.set $j (local.get $kw))
                (loop $eachJ
                  (local.set $c0 (v128.load (local.get $c)))
                  (local.set $c1 (v128.load offset=16 (local.get $c)))
                  (local.set $av (v128.load32_splat (local.get $a)))
                  (local.set $y00 (f32x4.add (local.get $y00) (f32x4.mul (local.get $av) (local.get $c0))))
                  (local.set $y01 (f32x4.add (local.get $y01) (f32x4.mul (local.get $av) (local.get $c1))))
                  (local.set $av (v128.load32_splat offset=4 (local.get $a)))
                  (local.set $y10 (f32x4.add (local.get $y10) (f32x4.mul (local.get $av) (local.get $c0))))
                  (local.set $y11 (f32x4.add (local.get $y11) (f32x4.mul (local.get $av) (local.get $c1))))
                  (local.set $av (v128.load32_splat offset=8 (local.get $a)))
                  (local.set $y20 (f32x4.add (local.get $y20) (f32x4.mul (local.get $av) (local.get $c0))))
                  (local.set $y21 (f32x4.add (local.get $y21) (f32x4.mul (local.get $av) (local.get $c1))))
                  (local.set $av (v128.load32_splat offset=12 (local.get $a)))
                  (local.set $y30 (f32x4.add (local.get $y30) (f32x4.mul (local.get $av) (local.get $c0))))
                  (local.set $y31 (f32x4.add (local.get $y31) (f32x4.mul (local.get $av) (local.get $c1))))
                  (local.set $c (i32.add (local.get $c) (local.get $stepBytes)))
                  (local.set $a (i32.add (local.get $a) (i32.const 16)))
                  (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                  (br_if $eachJ (local.get $j)))
                (local.set $c (i32.add (local.get $c) (local.get $skipBytes)))
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br_if $eachI (local.get $i)))
              (local.set $out (i32.add (local.get $sampleY) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $yRow)) (local.get $p)) (i32.const 2))))
              (v128.store (local.get $out) (local.get $y00))
              (v128.store offset=16 (local.get $out) (local.get $y01))
              (local.set $out (i32.add (local.get $out) (local.get $outBytes)))
              (v128.store (local.get $out) (local.get $y10))
              (v128.store offset=16 (local.get $out) (local.get $y11))
              (local.set $out (i32.add (local.get $out) (local.get $outBytes)))
              (v128.store (local.get $out) (local.get $y20))
              (v128.store offset=16 (local.get $out) (local.get $y21))
              (local.set $out (i32.add (local.get $out) (local.get $outBytes)))
              (v128.store (local.get $out) (local.get $y30))
              (v128.store offset=16 (local.get $out) (local.get $y31))
              (local.set $o (i32.add (local.get $o) (i32.const 4)))
              (br $eachPanel)))
            ;; the outputs past the last whole panel, one at a time
            (block $odone (loop $eachOutput
              (br_if $odone (i32.ge_u (local.get $o) (local.get $outs)))
              (local.set $y00 (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
              (local.set $y01 (local.get $y00))
              (local.set $c (i32.add (local.get $sampleCol) (i32.shl (local.get $p) (i32.const 2))))
              (local.set $a (i32.add (i32.add (local.get $w) (i32.mul (i32.shr_u (local.get $o) (i32.const 2)) (local.get $panelBytes)))
                (i32.shl (i32.and (local.get $o) (i32.const 3)) (i32.const 2))))
              (local.set $i (local.get $kh))
              (loop $eachI
                (local.set $j (local.get $kw))
                (loop $eachJ
                  (local.set $av (v128.load32_splat (local.get $a)))
                  (local.set $y00 (f32x4.add (local.get $y00) (f32x4.mul (local.get $av) (v128.load (local.get $c)))))
                  (local.set $y01 (f32x4.add (local.get $y01) (f32x4.mul (local.get $av) (v128.load offset=16 (local.get $c)))))
                  (local.set $c (i32.add (local.get $c) (local.get $stepBytes)))
                  (local.set $a (i32.add (local.get $a) (i32.const 16)))
                  (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                  (br_if $eachJ (local.get $j)))
                (local.set $c (i32.add (local.get $c) (local.get $skipBytes)))
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br_if $eachI (local.get $i)))
              (local.set $out (i32.add (local.get $sampleY) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $yRow)) (local.get $p)) (i32.const 2))))
              (v128.store (local.get $out) (local.get $y00))
              (v128.store offset=16 (local.get $out) (local.get $y01))
              (local.set $o (i32.add (local.get $o) (i32.const 1)))
              (br $eachOutput)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $eachTile))))
        (else
          (local.set $o (i32.const 0))
          (block $odone (loop $eachOutput
            (br_if $odone (i32.ge_u (local.get $o) (local.get $outs)))
            (local.set $p (i32.const 0))
            (block $pdone (loop $eachPosition
              (br_if $pdone (i32.ge_u (local.get $p) (local.get $width)))
              (local.set $acc (f32.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
              (local.set $c (i32.add (local.get $sampleCol) (i32.shl (local.get $p) (i32.const 2))))
              (local.set $a (i32.add (i32.add (local.get $w) (i32.mul (i32.shr_u (local.get $o) (i32.const 2)) (local.get $panelBytes)))
                (i32.shl (i32.and (local.get $o) (i32.const 3)) (i32.const 2))))
              (local.set $i (local.get $kh))
              (loop $eachI
                (local.set $j (local.get $kw))
                (loop $eachJ
                  (local.set $acc (f32.add (local.get $acc) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $c)))))
                  (local.set $c (i32.add (local.get $c) (local.get $stepBytes)))
                  (local.set $a (i32.add (local.get $a) (i32.const 16)))
                  (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                  (br_if $eachJ (local.get $j)))
                (local.set $c (i32.add (local.get $c) (local.get $skipBytes)))
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br_if $eachI (local.get $i)))
              (f32.store (i32.add (local.get $sampleY) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $yRow)) (local.get $p)) (i32.const 2)))
                (local.get $acc))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $eachPosition)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $eachOutput)))))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br $eachLine))))

  ;; The weight gradient of the direct 3×3 convolution of one input channel at stride 1 (see
  ;; conv2d.ts): for o < $outs and taps (i, j) < 3×3,
  ;;   dW[o·9 + i·3 + j] = Σ_{b, oh, ow} dy[b·$dySample + o·outH·outW + oh·$outW + ow] · x[b·$xSample + (oh + i)·$xRow + ow + j]
  ;; over the $batch samples of the zero-padded input x, starting from +0, in increasing
  ;; (b, oh, ow), one f32 multiply and one f32 add each: the terms and order of the matmul's
  ;; dW = dyc·colᵀ over the unfolded col, so the same bits, without writing col or packing it.
  ;; Lanes are the taps j = 0, 1, 2 of one kernel row (the fourth lane reads one float past
  ;; it and is dropped: x needs a float of room after its last row); three output channels
  ;; at a time, nine accumulators (o + 1 and o + 2 repeat the last channel past $outs).
  (func (export "convWeightGrad3x3") (param $dw i32) (param $dy i32) (param $dySample i32) (param $x i32) (param $xSample i32) (param $xRow i32)
    (param $outs i32) (param $outH i32) (param $outW i32) (param $batch i32)
    (local $o i32) (local $o1 i32) (local $o2 i32) (local $b i32) (local $oh i32) (local $ow i32) (local $plane i32) (local $rowBytes i32)
    (local $d0 i32) (local $d1 i32) (local $d2 i32) (local $xp i32) (local $out i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $dv v128)
    (local $a00 v128) (local $a01 v128) (local $a02 v128) (local $a10 v128) (local $a11 v128) (local $a12 v128) (local $a20 v128) (local $a21 v128) (local $a22 v128)
    (local.set $plane (i32.shl (i32.mul (local.get $outH) (local.get $outW)) (i32.const 2)))
    (local.set $rowBytes (i32.shl (local.get $xRow) (i32.const 2)))
    (block $odone (loop $eachTriple
      (br_if $odone (i32.ge_u (local.get $o) (local.get $outs)))
      (local.set $o1 (select (i32.add (local.get $o) (i32.const 1)) (local.get $o) (i32.lt_u (i32.add (local.get $o) (i32.const 1)) (local.get $outs))))
      (local.set $o2 (select (i32.add (local.get $o) (i32.const 2)) (local.get $o1) (i32.lt_u (i32.add (local.get $o) (i32.const 2)) (local.get $outs))))
      (local.set $a00 (v128.const i32x4 0 0 0 0))
      (local.set $a01 (local.get $a00))
      (local.set $a02 (local.get $a00))
      (local.set $a10 (local.get $a00))
      (local.set $a11 (local.get $a00))
      (local.set $a12 (local.get $a00))
      (local.set $a20 (local.get $a00))
      (local.set $a21 (local.get $a00))
      (local.set $a22 (local.get $a00))
      (local.set $b (i32.const 0))
      (block $bdone (loop $eachSample
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $d0 (i32.add (i32.add (local.get $dy) (i32.shl (i32.mul (local.get $b) (local.get $dySample)) (i32.const 2))) (i32.mul (local.get $o) (local.get $plane))))
        (local.set $d1 (i32.add (local.get $d0) (i32.mul (i32.sub (local.get $o1) (local.get $o)) (local.get $plane))))
        (local.set $d2 (i32.add (local.get $d0) (i32.mul (i32.sub (local.get $o2) (local.get $o)) (local.get $plane))))
        (local.set $oh (i32.const 0))
        (block $hdone (loop $eachRow
          (br_if $hdone (i32.ge_u (local.get $oh) (local.get $outH)))
          (local.set $xp (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $xSample)) (i32.mul (local.get $oh) (local.get $xRow))) (i32.const 2))))
          (local.set $ow (local.get $outW))
          (loop $eachColumn
            (local.set $x0 (v128.load (local.get $xp)))
            (local.set $x1 (v128.load (i32.add (local.get $xp) (local.get $rowBytes))))
            (local.set $x2 (v128.load (i32.add (local.get $xp) (i32.shl (local.get $rowBytes) (i32.const 1)))))
            (local.set $dv (v128.load32_splat (local.get $d0)))
            (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $x0) (local.get $dv))))
            (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $x1) (local.get $dv))))
            (local.set $a02 (f32x4.add (local.get $a02) (f32x4.mul (local.get $x2) (local.get $dv))))
            (local.set $dv (v128.load32_splat (local.get $d1)))
            (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $x0) (local.get $dv))))
            (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $x1) (local.get $dv))))
            (local.set $a12 (f32x4.add (local.get $a12) (f32x4.mul (local.get $x2) (local.get $dv))))
            (local.set $dv (v128.load32_splat (local.get $d2)))
            (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $x0) (local.get $dv))))
            (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $x1) (local.get $dv))))
            (local.set $a22 (f32x4.add (local.get $a22) (f32x4.mul (local.get $x2) (local.get $dv))))
            (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
            (local.set $d0 (i32.add (local.get $d0) (i32.const 4)))
            (local.set $d1 (i32.add (local.get $d1) (i32.const 4)))
            (local.set $d2 (i32.add (local.get $d2) (i32.const 4)))
            (local.set $ow (i32.sub (local.get $ow) (i32.const 1)))
            (br_if $eachColumn (local.get $ow)))
          (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
          (br $eachRow)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $eachSample)))
      ;; lanes 0–2 of a_ri are dW[o_r, i, 0..2] (a repeated channel's copies hold the same sums)
      (local.set $out (i32.add (local.get $dw) (i32.mul (local.get $o2) (i32.const 36))))
      (call $storeTaps (local.get $out) (local.get $a20) (local.get $a21) (local.get $a22))
      (local.set $out (i32.add (local.get $dw) (i32.mul (local.get $o1) (i32.const 36))))
      (call $storeTaps (local.get $out) (local.get $a10) (local.get $a11) (local.get $a12))
      (local.set $out (i32.add (local.get $dw) (i32.mul (local.get $o) (i32.const 36))))
      (call $storeTaps (local.get $out) (local.get $a00) (local.get $a01) (local.get $a02))
      (local.set $o (i32.add (local.get $o) (i32.const 3)))
      (br $eachTriple))))

  ;; the nine taps of one output channel from lanes 0–2 of three kernel rows' accumulators
  (func $storeTaps (param $out i32) (param $r0 v128) (param $r1 v128) (param $r2 v128)
    (f32.store (local.get $out) (f32x4.extract_lane 0 (local.get $r0)))
    (f32.store offset=4 (local.get $out) (f32x4.extract_lane 1 (local.get $r0)))
    (f32.store offset=8 (local.get $out) (f32x4.extract_lane 2 (local.get $r0)))
    (f32.store offset=12 (local.get $out) (f32x4.extract_lane 0 (local.get $r1)))
    (f32.store offset=16 (local.get $out) (f32x4.extract_lane 1 (local.get $r1)))
    (f32.store offset=20 (local.get $out) (f32x4.extract_lane 2 (local.get $r1)))
    (f32.store offset=24 (local.get $out) (f32x4.extract_lane 0 (local.get $r2)))
    (f32.store offset=28 (local.get $out) (f32x4.extract_lane 1 (local.get $r2)))
    (f32.store offset=32 (local.get $out) (f32x4.extract_lane 2 (local.get $r2))))

  ;; $count runs of $len floats: dst[q·$dstStride + t] ← src[q·$srcStride + t] (strides in
  ;; floats): a channel of conv2d's dy from NCHW into [channels, batch·positions], a run a sample.
  (func (export "copyRuns") (param $dst i32) (param $dstStride i32) (param $src i32) (param $srcStride i32) (param $len i32) (param $count i32)
    (local $q i32) (local $d i32) (local $s i32) (local $end i32)
    (block $done (loop $eachRun
      (br_if $done (i32.ge_u (local.get $q) (local.get $count)))
      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $q) (local.get $dstStride)) (i32.const 2))))
      (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $q) (local.get $srcStride)) (i32.const 2))))
      (local.set $end (i32.add (local.get $s) (i32.shl (local.get $len) (i32.const 2))))
      (block $vdone (loop $vector
        (br_if $vdone (i32.gt_u (i32.add (local.get $s) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $d) (v128.load (local.get $s)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br $vector)))
      (block $sdone (loop $scalar
        (br_if $sdone (i32.ge_u (local.get $s) (local.get $end)))
        (f32.store (local.get $d) (f32.load (local.get $s)))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $scalar)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $eachRun))))

  ;; dst[r] ← Σ_c src[r·$cols + c] over c < $cols in increasing c, summed in float64 and
  ;; rounded once (conv2d's bias gradient: a row is one channel over the batch's positions).
  ;; Eight rows at a time, two to a vector: one running sum is bound by the add's latency,
  ;; and eight independent sums hid it best (bench/NOTES.md).
  (func (export "rowSums") (param $dst i32) (param $src i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $s i32) (local $end i32) (local $stride i32) (local $s0 f64)
    (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $a01 v128) (local $a23 v128)
    (local $p4 i32) (local $p5 i32) (local $p6 i32) (local $p7 i32) (local $a45 v128) (local $a67 v128)
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (block $done (loop $fourRows
      (br_if $done (i32.gt_u (i32.add (local.get $r) (i32.const 8)) (local.get $rows)))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $stride))))
      (local.set $end (i32.add (local.get $s) (local.get $stride)))
      (local.set $p1 (local.get $stride))
      (local.set $p2 (i32.shl (local.get $stride) (i32.const 1)))
      (local.set $p3 (i32.mul (local.get $stride) (i32.const 3)))
      (local.set $a01 (v128.const i32x4 0 0 0 0))
      (local.set $a23 (v128.const i32x4 0 0 0 0))
      (local.set $a45 (v128.const i32x4 0 0 0 0))
      (local.set $a67 (v128.const i32x4 0 0 0 0))
      (local.set $p4 (i32.shl (local.get $stride) (i32.const 2)))
      (local.set $p5 (i32.mul (local.get $stride) (i32.const 5)))
      (local.set $p6 (i32.mul (local.get $stride) (i32.const 6)))
      (local.set $p7 (i32.mul (local.get $stride) (i32.const 7)))
      (block $cdone (loop $column
        (br_if $cdone (i32.ge_u (local.get $s) (local.get $end)))
        (local.set $a01 (f64x2.add (local.get $a01) (f64x2.promote_low_f32x4
          (v128.load32_lane 1 (i32.add (local.get $s) (local.get $p1)) (v128.load32_zero (local.get $s))))))
        (local.set $a23 (f64x2.add (local.get $a23) (f64x2.promote_low_f32x4
          (v128.load32_lane 1 (i32.add (local.get $s) (local.get $p3)) (v128.load32_zero (i32.add (local.get $s) (local.get $p2)))))))
        (local.set $a45 (f64x2.add (local.get $a45) (f64x2.promote_low_f32x4
          (v128.load32_lane 1 (i32.add (local.get $s) (local.get $p5)) (v128.load32_zero (i32.add (local.get $s) (local.get $p4)))))))
        (local.set $a67 (f64x2.add (local.get $a67) (f64x2.promote_low_f32x4
          (v128.load32_lane 1 (i32.add (local.get $s) (local.get $p7)) (v128.load32_zero (i32.add (local.get $s) (local.get $p6)))))))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $column)))
      (v128.store (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2)))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $a01)) (f32x4.demote_f64x2_zero (local.get $a23))))
      (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2)))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $a45)) (f32x4.demote_f64x2_zero (local.get $a67))))
      (local.set $r (i32.add (local.get $r) (i32.const 8)))
      (br $fourRows)))
    (block $done (loop $eachRow
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $stride))))
      (local.set $end (i32.add (local.get $s) (local.get $stride)))
      (local.set $s0 (f64.const 0))
      (block $cdone (loop $column
        (br_if $cdone (i32.ge_u (local.get $s) (local.get $end)))
        (local.set $s0 (f64.add (local.get $s0) (f64.promote_f32 (f32.load (local.get $s)))))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $column)))
      (f32.store (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))) (f32.demote_f64 (local.get $s0)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $eachRow))))

  ;; Max pooling over $planes planes of $inPlane floats: for each of $positions outputs, the
  ;; maximum of x over its window ($size int32 offsets in $windows, −1 for padding): the first
  ;; maximum wins, a NaN wins and ends the window, an all-padding window gives −∞ at −1.
  ;; winner[out] ← the plane's base + the winning offset (an index into x).
  (func (export "maxPool") (param $x i32) (param $y i32) (param $winner i32) (param $windows i32)
    (param $planes i32) (param $inPlane i32) (param $positions i32) (param $size i32)
    (local $plane i32) (local $p i32) (local $w i32) (local $wend i32) (local $out i32) (local $base i32)
    (local $source i32) (local $at i32) (local $best f32) (local $value f32) (local $take i32)
    (block $done (loop $eachPlane
      (br_if $done (i32.ge_u (local.get $plane) (local.get $planes)))
      (local.set $base (i32.mul (local.get $plane) (local.get $inPlane)))
      (local.set $p (i32.const 0))
      (block $pdone (loop $eachPosition
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $positions)))
        (local.set $best (f32.const -inf))
        (local.set $at (i32.const -1))
        (local.set $w (i32.mul (local.get $p) (local.get $size)))
        (local.set $wend (i32.add (local.get $w) (local.get $size)))
        (block $wdone (loop $eachSource
          (br_if $wdone (i32.ge_u (local.get $w) (local.get $wend)))
          (local.set $source (i32.load (i32.add (local.get $windows) (i32.shl (local.get $w) (i32.const 2)))))
          (local.set $w (i32.add (local.get $w) (i32.const 1)))
          (br_if $eachSource (i32.lt_s (local.get $source) (i32.const 0)))
          (local.set $value (f32.load (i32.add (local.get $x) (i32.shl (i32.add (local.get $base) (local.get $source)) (i32.const 2)))))
          ;; Take the value when the reference would: it is larger, or a NaN, or the first; and
          ;; never after a NaN (where the reference stops). Selects, not branches: which input
          ;; of a window wins is data, and mispredicted branches cost more than the window.
          (local.set $take (i32.or
            (i32.and (f32.eq (local.get $best) (local.get $best))
              (i32.or (f32.gt (local.get $value) (local.get $best)) (f32.ne (local.get $value) (local.get $value))))
            (i32.lt_s (local.get $at) (i32.const 0))))
          (local.set $best (select (local.get $value) (local.get $best) (local.get $take)))
          (local.set $at (select (local.get $source) (local.get $at) (local.get $take)))
          (br $eachSource)))
        (f32.store (i32.add (local.get $y) (i32.shl (local.get $out) (i32.const 2))) (local.get $best))
        (i32.store (i32.add (local.get $winner) (i32.shl (local.get $out) (i32.const 2))) (i32.add (local.get $base) (local.get $at)))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $eachPosition)))
      (local.set $plane (i32.add (local.get $plane) (i32.const 1)))
      (br $eachPlane))))

  ;; Max pooling with a 2×2 window, stride 2, no padding (the common case, W3's), four outputs
  ;; at a time: the same values and winners as "maxPool" with the window a, b, c, d =
  ;; x[2i][2j], x[2i][2j+1], x[2i+1][2j], x[2i+1][2j+1] visited in that order (a first maximum
  ;; wins; a NaN wins and nothing after it). $outW = floor($width / 2) outputs a row, $outH rows.
  ;; A row's last partial group is redone as the four that end the row, rather than one to
  ;; three windows in scalar code: that and the shorter test below halved the time and more
  ;; on W3's pools (bench/NOTES.md).
  (func (export "maxPool2x2") (param $x i32) (param $y i32) (param $winner i32)
    (param $planes i32) (param $height i32) (param $width i32) (param $outH i32) (param $outW i32)
    (local $plane i32) (local $i i32) (local $j i32) (local $out i32) (local $base i32)
    (local $row0 i32) (local $row1 i32) (local $first i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $best v128) (local $off v128) (local $take v128)
    (local $p0 v128) (local $p1 v128) (local $widthv v128)
    (local $as f32) (local $bs f32) (local $cs f32) (local $ds f32) (local $bests f32) (local $offs i32) (local $takes i32)
    (local.set $widthv (i32x4.splat (local.get $width)))
    (block $done (loop $eachPlane
      (br_if $done (i32.ge_u (local.get $plane) (local.get $planes)))
      (local.set $base (i32.mul (local.get $plane) (i32.mul (local.get $height) (local.get $width))))
      (local.set $i (i32.const 0))
      (block $idone (loop $eachRow
        (br_if $idone (i32.ge_u (local.get $i) (local.get $outH)))
        ;; index (in floats) of x[2i][0] and x[2i+1][0]
        (local.set $row0 (i32.add (local.get $base) (i32.mul (i32.shl (local.get $i) (i32.const 1)) (local.get $width))))
        (local.set $row1 (i32.add (local.get $row0) (local.get $width)))
        (local.set $j (i32.const 0))
        (block $jdone (loop $vector
          (if (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $outW))
            (then
              ;; A row's last, partial group of four: redo the four that end the row (the same
              ;; values again) instead of one to three scalar windows; short rows go scalar.
              (br_if $jdone (i32.or (i32.ge_u (local.get $j) (local.get $outW)) (i32.lt_u (local.get $outW) (i32.const 4))))
              (local.set $out (i32.sub (local.get $out) (i32.sub (local.get $j) (i32.sub (local.get $outW) (i32.const 4)))))
              (local.set $j (i32.sub (local.get $outW) (i32.const 4)))))
          (local.set $first (i32.add (local.get $row0) (i32.shl (local.get $j) (i32.const 1))))
          (local.set $p0 (v128.load (i32.add (local.get $x) (i32.shl (local.get $first) (i32.const 2)))))
          (local.set $p1 (v128.load offset=16 (i32.add (local.get $x) (i32.shl (local.get $first) (i32.const 2)))))
          (local.set $a (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $p0) (local.get $p1)))
          (local.set $b (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $p0) (local.get $p1)))
          (local.set $p0 (v128.load (i32.add (local.get $x) (i32.shl (i32.add (local.get $first) (local.get $width)) (i32.const 2)))))
          (local.set $p1 (v128.load offset=16 (i32.add (local.get $x) (i32.shl (i32.add (local.get $first) (local.get $width)) (i32.const 2)))))
          (local.set $c (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $p0) (local.get $p1)))
          (local.set $d (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $p0) (local.get $p1)))
          ;; take = best is not NaN and not v ≤ best (v > best, or v is NaN); off = the winner's
          ;; offset in its window
          (local.set $best (local.get $a))
          (local.set $off (v128.const i32x4 0 0 0 0))
          (local.set $take (v128.andnot (f32x4.eq (local.get $best) (local.get $best)) (f32x4.le (local.get $b) (local.get $best))))
          (local.set $best (v128.bitselect (local.get $b) (local.get $best) (local.get $take)))
          (local.set $off (v128.bitselect (v128.const i32x4 1 1 1 1) (local.get $off) (local.get $take)))
          (local.set $take (v128.andnot (f32x4.eq (local.get $best) (local.get $best)) (f32x4.le (local.get $c) (local.get $best))))
          (local.set $best (v128.bitselect (local.get $c) (local.get $best) (local.get $take)))
          (local.set $off (v128.bitselect (local.get $widthv) (local.get $off) (local.get $take)))
          (local.set $take (v128.andnot (f32x4.eq (local.get $best) (local.get $best)) (f32x4.le (local.get $d) (local.get $best))))
          (local.set $best (v128.bitselect (local.get $d) (local.get $best) (local.get $take)))
          (local.set $off (v128.bitselect (i32x4.add (local.get $widthv) (v128.const i32x4 1 1 1 1)) (local.get $off) (local.get $take)))
          (v128.store (i32.add (local.get $y) (i32.shl (local.get $out) (i32.const 2))) (local.get $best))
          (v128.store (i32.add (local.get $winner) (i32.shl (local.get $out) (i32.const 2)))
            (i32x4.add (local.get $off) (i32x4.add (i32x4.splat (local.get $first)) (v128.const i32x4 0 2 4 6))))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $vector)))
        (block $jdone (loop $scalar
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $outW)))
          (local.set $first (i32.add (local.get $row0) (i32.shl (local.get $j) (i32.const 1))))
          (local.set $as (f32.load (i32.add (local.get $x) (i32.shl (local.get $first) (i32.const 2)))))
          (local.set $bs (f32.load offset=4 (i32.add (local.get $x) (i32.shl (local.get $first) (i32.const 2)))))
          (local.set $cs (f32.load (i32.add (local.get $x) (i32.shl (i32.add (local.get $first) (local.get $width)) (i32.const 2)))))
          (local.set $ds (f32.load offset=4 (i32.add (local.get $x) (i32.shl (i32.add (local.get $first) (local.get $width)) (i32.const 2)))))
          (local.set $bests (local.get $as))
          (local.set $offs (i32.const 0))
          (local.set $takes (i32.and (f32.eq (local.get $bests) (local.get $bests)) (i32.eqz (f32.le (local.get $bs) (local.get $bests)))))
          (local.set $bests (select (local.get $bs) (local.get $bests) (local.get $takes)))
          (local.set $offs (select (i32.const 1) (local.get $offs) (local.get $takes)))
          (local.set $takes (i32.and (f32.eq (local.get $bests) (local.get $bests)) (i32.eqz (f32.le (local.get $cs) (local.get $bests)))))
          (local.set $bests (select (local.get $cs) (local.get $bests) (local.get $takes)))
          (local.set $offs (select (local.get $width) (local.get $offs) (local.get $takes)))
          (local.set $takes (i32.and (f32.eq (local.get $bests) (local.get $bests)) (i32.eqz (f32.le (local.get $ds) (local.get $bests)))))
          (local.set $bests (select (local.get $ds) (local.get $bests) (local.get $takes)))
          (local.set $offs (select (i32.add (local.get $width) (i32.const 1)) (local.get $offs) (local.get $takes)))
          (f32.store (i32.add (local.get $y) (i32.shl (local.get $out) (i32.const 2))) (local.get $bests))
          (i32.store (i32.add (local.get $winner) (i32.shl (local.get $out) (i32.const 2))) (i32.add (local.get $first) (local.get $offs)))
          (local.set $out (i32.add (local.get $out) (i32.const 1)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $scalar)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $eachRow)))
      (local.set $plane (i32.add (local.get $plane) (i32.const 1)))
      (br $eachPlane))))

  ;; The backward of "maxPool2x2" over planes of even $height and $width (every input in
  ;; exactly one window): each window's four dx are 0 + dy at its winner and 0 elsewhere —
  ;; what zeroing dx and then adding dy at the winners gives (0 + dy, so a −0 becomes +0).
  ;; Four windows at a time: each of the four window places masks 0 + dy with "the winner is
  ;; here", and the masks of the top (bottom) places interleave into eight floats of dx's row
  ;; (about ten times faster than one window at a time on W3's pools: bench/NOTES.md).
  (func (export "maxPool2x2Backward") (param $dy i32) (param $dx i32) (param $winner i32)
    (param $planes i32) (param $height i32) (param $width i32)
    (local $plane i32) (local $i i32) (local $j i32) (local $out i32) (local $row0 i32) (local $first i32) (local $w i32) (local $g f32)
    (local $outH i32) (local $outW i32) (local $at i32)
    (local $gv v128) (local $off v128) (local $widthv v128) (local $p0 v128) (local $p1 v128)
    (local.set $outH (i32.shr_u (local.get $height) (i32.const 1)))
    (local.set $outW (i32.shr_u (local.get $width) (i32.const 1)))
    (local.set $widthv (i32x4.splat (local.get $width)))
    (block $done (loop $eachPlane
      (br_if $done (i32.ge_u (local.get $plane) (local.get $planes)))
      (local.set $i (i32.const 0))
      (block $idone (loop $eachRow
        (br_if $idone (i32.ge_u (local.get $i) (local.get $outH)))
        ;; index (in floats) of x[2i][0]
        (local.set $row0 (i32.add (i32.mul (local.get $plane) (i32.mul (local.get $height) (local.get $width)))
          (i32.mul (i32.shl (local.get $i) (i32.const 1)) (local.get $width))))
        (local.set $j (i32.const 0))
        (block $jdone (loop $vector
          (if (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $outW))
            (then
              ;; A row's last, partial group of four: redo the four that end the row (the same
              ;; values again) instead of one to three scalar windows; short rows go scalar.
              (br_if $jdone (i32.or (i32.ge_u (local.get $j) (local.get $outW)) (i32.lt_u (local.get $outW) (i32.const 4))))
              (local.set $out (i32.sub (local.get $out) (i32.sub (local.get $j) (i32.sub (local.get $outW) (i32.const 4)))))
              (local.set $j (i32.sub (local.get $outW) (i32.const 4)))))
          (local.set $first (i32.add (local.get $row0) (i32.shl (local.get $j) (i32.const 1))))
          ;; off: each winner's offset in its window (0, 1, width or width + 1)
          (local.set $off (i32x4.sub (v128.load (i32.add (local.get $winner) (i32.shl (local.get $out) (i32.const 2))))
            (i32x4.add (i32x4.splat (local.get $first)) (v128.const i32x4 0 2 4 6))))
          (local.set $gv (f32x4.add (v128.const f32x4 0 0 0 0) (v128.load (i32.add (local.get $dy) (i32.shl (local.get $out) (i32.const 2))))))
          (local.set $p0 (v128.and (local.get $gv) (i32x4.eq (local.get $off) (v128.const i32x4 0 0 0 0))))
          (local.set $p1 (v128.and (local.get $gv) (i32x4.eq (local.get $off) (v128.const i32x4 1 1 1 1))))
          (local.set $at (i32.add (local.get $dx) (i32.shl (local.get $first) (i32.const 2))))
          (v128.store (local.get $at) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $p0) (local.get $p1)))
          (v128.store offset=16 (local.get $at) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $p0) (local.get $p1)))
          (local.set $p0 (v128.and (local.get $gv) (i32x4.eq (local.get $off) (local.get $widthv))))
          (local.set $p1 (v128.and (local.get $gv) (i32x4.eq (local.get $off) (i32x4.add (local.get $widthv) (v128.const i32x4 1 1 1 1)))))
          (local.set $at (i32.add (local.get $at) (i32.shl (local.get $width) (i32.const 2))))
          (v128.store (local.get $at) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $p0) (local.get $p1)))
          (v128.store offset=16 (local.get $at) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $p0) (local.get $p1)))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $vector)))
        (block $jdone (loop $scalar
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $outW)))
          (local.set $first (i32.add (local.get $row0) (i32.shl (local.get $j) (i32.const 1))))
          (local.set $w (i32.sub (i32.load (i32.add (local.get $winner) (i32.shl (local.get $out) (i32.const 2)))) (local.get $first)))
          (local.set $g (f32.add (f32.const 0) (f32.load (i32.add (local.get $dy) (i32.shl (local.get $out) (i32.const 2))))))
          (local.set $at (i32.add (local.get $dx) (i32.shl (local.get $first) (i32.const 2))))
          (f32.store (local.get $at) (select (local.get $g) (f32.const 0) (i32.eqz (local.get $w))))
          (f32.store offset=4 (local.get $at) (select (local.get $g) (f32.const 0) (i32.eq (local.get $w) (i32.const 1))))
          (local.set $at (i32.add (local.get $at) (i32.shl (local.get $width) (i32.const 2))))
          (f32.store (local.get $at) (select (local.get $g) (f32.const 0) (i32.eq (local.get $w) (local.get $width))))
          (f32.store offset=4 (local.get $at) (select (local.get $g) (f32.const 0) (i32.eq (local.get $w) (i32.add (local.get $width) (i32.const 1)))))
          (local.set $out (i32.add (local.get $out) (i32.const 1)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $scalar)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $eachRow)))
      (local.set $plane (i32.add (local.get $plane) (i32.const 1)))
      (br $eachPlane))))
)
