using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sift.Core.Vectors;

/// <summary>The similarity kernels: float32 dot products (AVX-512 or TensorPrimitives) and int8 dot products (VNNI, AVX-512 or AVX2).</summary>
public static class VectorMath
{
    /// <summary>
    /// Float dot product. With 512-bit vectors and at least 64 dimensions, four independent accumulators keep the FMA
    /// units busy (a graph hop scores one row at a time, so call overhead and the add chain matter); otherwise
    /// TensorPrimitives.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (!Vector512.IsHardwareAccelerated || a.Length < 64 || a.Length != b.Length)
        {
            return TensorPrimitives.Dot(a, b);
        }

        ref var left = ref MemoryMarshal.GetReference(a);
        ref var right = ref MemoryMarshal.GetReference(b);
        var length = (nuint)a.Length;
        var sum0 = Vector512<float>.Zero;
        var sum1 = Vector512<float>.Zero;
        var sum2 = Vector512<float>.Zero;
        var sum3 = Vector512<float>.Zero;
        nuint i = 0;
        for (; i + 64 <= length; i += 64)
        {
            sum0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref left, i), Vector512.LoadUnsafe(ref right, i), sum0);
            sum1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref left, i + 16), Vector512.LoadUnsafe(ref right, i + 16), sum1);
            sum2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref left, i + 32), Vector512.LoadUnsafe(ref right, i + 32), sum2);
            sum3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref left, i + 48), Vector512.LoadUnsafe(ref right, i + 48), sum3);
        }

        for (; i + 16 <= length; i += 16)
        {
            sum0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref left, i), Vector512.LoadUnsafe(ref right, i), sum0);
        }

        var sum = Vector512.Sum((sum0 + sum1) + (sum2 + sum3));
        for (; i < length; i++)
        {
            sum += Unsafe.Add(ref left, i) * Unsafe.Add(ref right, i);
        }

        return sum;
    }

    /// <summary>Scales <paramref name="vector"/> to unit length in place; a zero vector stays zero.</summary>
    public static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <summary>Symmetric int8 quantisation with one scale per vector: value ≈ code * scale.</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        // MaxMagnitude returns the signed element with the largest magnitude.
        var max = MathF.Abs(TensorPrimitives.MaxMagnitude(vector));
        var scale = max > 0 ? max / 127f : 1f;
        for (var i = 0; i < vector.Length; i++)
        {
            codes[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] / scale), -127, 127);
        }

        return scale;
    }

    /// <summary>Exact integer dot product of two int8 vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DotInt8(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        ref var left = ref MemoryMarshal.GetReference(a);
        ref var right = ref MemoryMarshal.GetReference(b);
        var length = a.Length;
        var i = 0;
        var sum = 0;
        if (AvxVnni.IsSupported && length >= 32)
        {
            // VNNI multiplies unsigned by signed bytes: |a| times b with a's sign moved onto b gives a * b (codes are
            // within -127..127, so negating one never overflows).
            var sum0 = Vector256<int>.Zero;
            var sum1 = Vector256<int>.Zero;
            for (; i <= length - 64; i += 64)
            {
                var x0 = Vector256.LoadUnsafe(ref left, (nuint)i);
                var x1 = Vector256.LoadUnsafe(ref left, (nuint)i + 32);
                sum0 = AvxVnni.MultiplyWideningAndAdd(sum0, Avx2.Abs(x0), Avx2.Sign(Vector256.LoadUnsafe(ref right, (nuint)i), x0));
                sum1 = AvxVnni.MultiplyWideningAndAdd(sum1, Avx2.Abs(x1), Avx2.Sign(Vector256.LoadUnsafe(ref right, (nuint)i + 32), x1));
            }

            for (; i <= length - 32; i += 32)
            {
                var x = Vector256.LoadUnsafe(ref left, (nuint)i);
                sum0 = AvxVnni.MultiplyWideningAndAdd(sum0, Avx2.Abs(x), Avx2.Sign(Vector256.LoadUnsafe(ref right, (nuint)i), x));
            }

            sum = Vector256.Sum(sum0 + sum1);
        }
        else if (Avx512BW.IsSupported && length >= 32)
        {
            var accumulator = Vector512<int>.Zero;
            for (; i <= length - 32; i += 32)
            {
                var x = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref left, (nuint)i));
                var y = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref right, (nuint)i));
                accumulator += Avx512BW.MultiplyAddAdjacent(x, y);
            }

            sum = Vector512.Sum(accumulator);
        }
        else if (Avx2.IsSupported && length >= 16)
        {
            var accumulator = Vector256<int>.Zero;
            for (; i <= length - 16; i += 16)
            {
                var x = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref left, (nuint)i));
                var y = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref right, (nuint)i));
                accumulator += Avx2.MultiplyAddAdjacent(x, y);
            }

            sum = Vector256.Sum(accumulator);
        }

        for (; i < length; i++)
        {
            sum += Unsafe.Add(ref left, i) * Unsafe.Add(ref right, i);
        }

        return sum;
    }
}
