// QuickStart: describe items the spead2 way, build heaps and show the packets a spead2 receiver would get.
// (Replaced by the typed, loopback-sending version once the typed layer and UdpStream land.)
using Spead2;
using Spead2.Send;

var items = new SendItemGroup();
var timestamp = items.AddItem(0x1600, "timestamp", "ADC sample count", [], format: [new FormatField('u', 48)], value: 0L);
var vis = items.AddItem(0x1800, "vis", "Visibilities", [4, 2], dtype: "<f4", value: new float[8]);

var stream = new BytesStream(new StreamConfig { MaxPacketSize = 1472 });
stream.SendHeap(items.GetStart());
for (int i = 1; i <= 3; i++)
{
    timestamp.Value = i * 1024L;
    vis.Value = Enumerable.Range(0, 8).Select(x => (float)(x * i)).ToArray();
    stream.SendHeap(items.GetHeap());
}
stream.SendHeap(items.GetEnd());

var bytes = stream.GetValue();
Console.WriteLine($"{bytes.Length} bytes of SPEAD packets:");
for (int i = 0; i < bytes.Length; i += 16)
    Console.WriteLine($"{i:x4}: {Convert.ToHexString(bytes.AsSpan(i, Math.Min(16, bytes.Length - i)))}");
