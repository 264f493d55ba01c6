import BifrostPluginKit
import Foundation

extension JSONValue {
    /// Parses JSON bytes in one pass (``JSONParser``): no Foundation objects to bridge.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONParser.parse(bytes)
    }

    private static let booleanClass = ObjectIdentifier(type(of: NSNumber(value: true)))

    init(foundation value: Any) {
        switch value {
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            // NSNumber also carries booleans, as instances of a dedicated subclass.
            if ObjectIdentifier(type(of: number)) == Self.booleanClass {
                self = .bool(number.boolValue)
            } else {
                self = .number(number.doubleValue)
            }
        case let array as [Any]:
            self = .array(array.map(JSONValue.init(foundation:)))
        case let object as [String: Any]:
            self = .object(object.mapValues(JSONValue.init(foundation:)))
        default:
            self = .null
        }
    }
}
