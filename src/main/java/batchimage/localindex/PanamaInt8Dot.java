package batchimage.localindex;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Int8Dot} on the JDK's vector API: 8 bytes at a time widened to 8 ints in a 256-bit register.
 * Loaded by {@link Int8Dot#best()} only when the module {@code jdk.incubator.vector} is present.
 */
final class PanamaInt8Dot implements Int8Dot {

    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_256;

    @Override
    public int dot(byte[] a, int o, byte[] q) {
        int n = q.length;
        int i = 0;
        int sum = 0;
        if (n >= 16) {
            IntVector acc1 = IntVector.zero(INTS);
            IntVector acc2 = IntVector.zero(INTS);
            for (; i + 15 < n; i += 16) {
                var a1 = (IntVector) ByteVector.fromArray(BYTES, a, o + i).convertShape(VectorOperators.B2I, INTS, 0);
                var q1 = (IntVector) ByteVector.fromArray(BYTES, q, i).convertShape(VectorOperators.B2I, INTS, 0);
                acc1 = acc1.add(a1.mul(q1));
                var a2 = (IntVector) ByteVector.fromArray(BYTES, a, o + i + 8).convertShape(VectorOperators.B2I, INTS, 0);
                var q2 = (IntVector) ByteVector.fromArray(BYTES, q, i + 8).convertShape(VectorOperators.B2I, INTS, 0);
                acc2 = acc2.add(a2.mul(q2));
            }
            sum = acc1.add(acc2).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            sum += a[o + i] * q[i];
        }
        return sum;
    }

    @Override
    public void dot4(byte[] a, int o0, int o1, int o2, int o3, byte[] q, int[] out) {
        int n = q.length;
        int i = 0;
        IntVector c0 = IntVector.zero(INTS);
        IntVector c1 = IntVector.zero(INTS);
        IntVector c2 = IntVector.zero(INTS);
        IntVector c3 = IntVector.zero(INTS);
        for (; i + 7 < n; i += 8) {
            var qi = (IntVector) ByteVector.fromArray(BYTES, q, i).convertShape(VectorOperators.B2I, INTS, 0);
            c0 = c0.add(((IntVector) ByteVector.fromArray(BYTES, a, o0 + i).convertShape(VectorOperators.B2I, INTS, 0)).mul(qi));
            c1 = c1.add(((IntVector) ByteVector.fromArray(BYTES, a, o1 + i).convertShape(VectorOperators.B2I, INTS, 0)).mul(qi));
            c2 = c2.add(((IntVector) ByteVector.fromArray(BYTES, a, o2 + i).convertShape(VectorOperators.B2I, INTS, 0)).mul(qi));
            c3 = c3.add(((IntVector) ByteVector.fromArray(BYTES, a, o3 + i).convertShape(VectorOperators.B2I, INTS, 0)).mul(qi));
        }
        int s0 = c0.reduceLanes(VectorOperators.ADD);
        int s1 = c1.reduceLanes(VectorOperators.ADD);
        int s2 = c2.reduceLanes(VectorOperators.ADD);
        int s3 = c3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s0 += a[o0 + i] * q[i];
            s1 += a[o1 + i] * q[i];
            s2 += a[o2 + i] * q[i];
            s3 += a[o3 + i] * q[i];
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }

    /** SIMD only where 256-bit integer vectors are real registers (AVX2 and up, NEON is 128-bit). */
    @Override
    public boolean simd() {
        return IntVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }
}
