package batchimage.vectors.local;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Dots} on the JDK's vector API: int8 codes 8 at a time widened to 8 ints, floats 8 at a time, in
 * 256-bit registers. Loaded by {@link Dots#best()} only when the module {@code jdk.incubator.vector} is
 * present.
 */
final class PanamaDots implements Dots {

    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_256;

    @Override
    public int int8(byte[] a, int o, byte[] q) {
        int n = q.length;
        int i = 0;
        int sum = 0;
        if (n >= 16) {
            IntVector acc1 = IntVector.zero(INTS);
            IntVector acc2 = IntVector.zero(INTS);
            for (; i + 15 < n; i += 16) {
                acc1 = acc1.add(ints(a, o + i).mul(ints(q, i)));
                acc2 = acc2.add(ints(a, o + i + 8).mul(ints(q, i + 8)));
            }
            sum = acc1.add(acc2).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            sum += a[o + i] * q[i];
        }
        return sum;
    }

    @Override
    public void int8x4(byte[] a, int o0, int o1, int o2, int o3, byte[] q, int[] out) {
        int n = q.length;
        int i = 0;
        IntVector c0 = IntVector.zero(INTS);
        IntVector c1 = IntVector.zero(INTS);
        IntVector c2 = IntVector.zero(INTS);
        IntVector c3 = IntVector.zero(INTS);
        for (; i + 7 < n; i += 8) {
            IntVector qi = ints(q, i);
            c0 = c0.add(ints(a, o0 + i).mul(qi));
            c1 = c1.add(ints(a, o1 + i).mul(qi));
            c2 = c2.add(ints(a, o2 + i).mul(qi));
            c3 = c3.add(ints(a, o3 + i).mul(qi));
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

    /** Eight int8 codes from {@code at}, widened to ints. */
    private static IntVector ints(byte[] codes, int at) {
        return (IntVector) ByteVector.fromArray(BYTES, codes, at).convertShape(VectorOperators.B2I, INTS, 0);
    }

    @Override
    public float floats(float[] a, float[] b) {
        int n = a.length;
        int i = 0;
        float sum = 0;
        if (n >= 16) {
            FloatVector acc1 = FloatVector.zero(FLOATS);
            FloatVector acc2 = FloatVector.zero(FLOATS);
            for (; i + 15 < n; i += 16) {
                acc1 = FloatVector.fromArray(FLOATS, a, i).fma(FloatVector.fromArray(FLOATS, b, i), acc1);
                acc2 = FloatVector.fromArray(FLOATS, a, i + 8).fma(FloatVector.fromArray(FLOATS, b, i + 8), acc2);
            }
            sum = acc1.add(acc2).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            sum = Math.fma(a[i], b[i], sum);
        }
        return sum;
    }

    /** SIMD only where 256-bit vectors are real registers (AVX2 and up; NEON is 128-bit). */
    @Override
    public boolean simd() {
        return IntVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }
}
