// The spead2 Python send example, ported line by line to the untyped API:
//
//   stream = spead2.send.UdpStream(thread_pool, [("127.0.0.1", 8888)], spead2.send.StreamConfig(rate=1e7))
//   ig = spead2.send.ItemGroup(flavour=spead2.Flavour(4, 64, 48, 0))
//   item = ig.add_item(0x1234, 'foo', 'a foo item', shape=(40, 50), dtype=np.int32)
//   item.value = np.zeros(shape, np.int32)
//   stream.send_heap(ig.get_heap())
//   stream.send_heap(ig.get_end())
//
// Usage: Untyped [HOST:PORT]  (default 127.0.0.1:8888; nothing needs to listen there).
using System.Globalization;
using Spead2.Protocol;
using Spead2.Send;

string destination = args.Length > 0 ? args[0] : "127.0.0.1:8888";
int colon = destination.LastIndexOf(':');
string host = destination[..colon];
int port = int.Parse(destination[(colon + 1)..], CultureInfo.InvariantCulture);

await using var stream = new UdpStream(host, port, new StreamConfig { Rate = 1e7 });
var ig = new SendItemGroup(flavour: new Flavour(4, 64, 48));
var item = ig.AddItem(0x1234, "foo", "a foo item", [40, 50], dtype: "<i4");
item.Value = new int[40, 50];
long bytes = await stream.SendHeapAsync(ig.GetHeap());
bytes += await stream.SendHeapAsync(ig.GetEnd());
Console.WriteLine($"Sent 2 heaps ({bytes} bytes) to {host}:{port} in SPEAD-64-48.");
