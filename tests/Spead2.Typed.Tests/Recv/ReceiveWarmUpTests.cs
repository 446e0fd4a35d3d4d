using System.Reflection;
using Spead2.Recv;

namespace Spead2.Tests.Recv;

/// <summary>
/// The warm-up compiles the receive path's methods before the first socket opens; a method that tiered compilation
/// could still recompile would be compiled again just as the first heaps arrive, competing with the receive thread.
/// </summary>
public class ReceiveWarmUpTests
{
    private const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    [Fact]
    public void EveryMethodItCompilesByNameExistsAndIsOptimisedOnce()
    {
        Assert.NotEmpty(ReceiveWarmUp.PreparedMethods);
        foreach (var (type, name) in ReceiveWarmUp.PreparedMethods)
        {
            var method = type.GetMethod(name, Any);
            Assert.True(method is not null, $"{type.Name}.{name} does not exist (renamed?): the warm-up would skip it.");
            Assert.True((method.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0,
                $"{type.Name}.{name} is not marked AggressiveOptimization: tiered compilation would recompile it when traffic starts.");
        }
    }

    [Theory]
    [InlineData(typeof(LiveHeap), "Start")]
    [InlineData(typeof(LiveHeap), "AddPacket")]
    [InlineData(typeof(LiveHeap), "AppendPointer")]
    [InlineData(typeof(LiveHeap), "Release")]
    [InlineData(typeof(LiveHeap), "StableSort")]
    [InlineData(typeof(HeapAssembler), "AddCore")]
    [InlineData(typeof(HeapAssembler), "Unindex")]
    [InlineData(typeof(HeapPool), "RentHeap")]
    [InlineData(typeof(HeapPool), "ReturnHeap")]
    [InlineData(typeof(HeapPool), "RentBuffer")]
    [InlineData(typeof(ReceivedHeap), "PrepareItems")]
    [InlineData(typeof(ReceivedHeap), "GetFlavour")]
    [InlineData(typeof(PacketDecoder), "Decode")]
    public void ThePerHeapMethodsItRunsAreOptimisedOnce(Type type, string name)
    {
        var method = type.GetMethod(name, Any);
        Assert.NotNull(method);
        Assert.True((method.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0, $"{type.Name}.{name}");
    }
}
