import { GraphQLError, parse, type DocumentNode, type GraphQLFieldResolver } from 'graphql';
import {
  assets,
  depots,
  drones,
  findAsset,
  findVehicle,
  readings,
  serviceRecords,
  shipments,
  vehicles,
  type AssetRecord,
  type DepotRecord,
  type ServiceRecordRow,
  type ShipmentRecord,
  type VehicleRecord,
} from './fleetData.js';

/** The shape @apollo/subgraph's buildSubgraphSchema takes (its GraphQLResolverMap, simplified). */
type Resolvers = Record<string, Record<string, GraphQLFieldResolver<never, unknown>>>;

export interface FleetSubgraph {
  readonly name: string;
  readonly typeDefs: DocumentNode;
  readonly resolvers: Resolvers;
}

const fail = (message: string, code: string): never => {
  throw new GraphQLError(message, { extensions: { code } });
};

const federation = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [${imports.map((name) => `"${name}"`).join(', ')}])`;

/**
 * inventory: the `Asset` entity interface with its implementations, a compound-key entity (`Depot`),
 * a second key on `Vehicle` (`vin`), value types shared with logistics, and failing roots.
 */
const inventory: FleetSubgraph = {
  name: 'inventory',
  typeDefs: parse(`
    ${federation(['@key', '@shareable'])}

    interface Asset @key(fields: "id") {
      id: ID!
      name: String!
      weight: Weight
    }

    type Vehicle implements Asset @key(fields: "id") @key(fields: "vin") {
      id: ID!
      vin: String!
      name: String! @shareable
      weight: Weight
      dimensions: Dimensions!
      tags: [String!]!
      depot: Depot
    }

    type Drone implements Asset @key(fields: "id") {
      id: ID!
      name: String!
      weight: Weight
      rotorCount: Int!
      serial: String
    }

    type Weight @shareable {
      value: Float!
      unit: String!
    }

    type Dimensions @shareable {
      length: Float!
      width: Float!
      height: Float
    }

    type Depot @key(fields: "region code") {
      region: String!
      code: String!
      name: String!
      assets: [Asset!]!
      manager: String
    }

    enum AssetFilter {
      ALL
      VEHICLES
      DRONES
    }

    type Query {
      assets(filter: AssetFilter = ALL): [Asset!]!
      asset(id: ID!): Asset
      vehicle(id: ID!): Vehicle
      "The vehicles, with a null where one was scrapped."
      vehicles: [Vehicle]
      depot(region: String!, code: String!): Depot
      depots: [Depot!]!
      inventoryFailure: String
      inventoryFailureNonNull: String!
    }
  `),
  resolvers: {
    Query: {
      assets: (_: never, { filter }: { filter: string }) =>
        filter === 'VEHICLES' ? vehicles : filter === 'DRONES' ? drones : assets,
      asset: (_: never, { id }: { id: string }) =>
        id === 'boom' ? fail('The asset registry is unavailable.', 'REGISTRY_DOWN') : findAsset(id),
      vehicle: (_: never, { id }: { id: string }) => findVehicle({ id }),
      vehicles: () => [vehicles[0], null, ...vehicles.slice(1)],
      depot: (_: never, { region, code }: { region: string; code: string }) =>
        depots.find((depot) => depot.region === region && depot.code === code),
      depots: () => depots,
      inventoryFailure: () => fail('Inventory is closed.', 'INVENTORY_CLOSED'),
      inventoryFailureNonNull: () => fail('Inventory is closed for good.', 'INVENTORY_CLOSED'),
    },
    Asset: {
      __resolveReference: ({ id }: { id: string }) => findAsset(id),
    },
    Vehicle: {
      __resolveReference: (key: { id?: string; vin?: string }) => findVehicle(key),
      depot: (vehicle: VehicleRecord) =>
        vehicle.depot &&
        depots.find((depot) => depot.region === vehicle.depot?.region && depot.code === vehicle.depot.code),
    },
    Drone: {
      __resolveReference: ({ id }: { id: string }) => findAsset(id),
      serial: (drone: AssetRecord) =>
        drone.id === 'd2' ? fail(`No serial plate on ${drone.id}.`, 'SERIAL_MISSING') : `SN-${drone.id}`,
    },
    Depot: {
      __resolveReference: ({ region, code }: { region: string; code: string }) =>
        depots.find((depot) => depot.region === region && depot.code === code),
      assets: (depot: DepotRecord) => depot.assetIds.map(findAsset),
      manager: (depot: DepotRecord) =>
        depot.code === 'S1' ? fail('The manager roster is sealed.', 'FORBIDDEN') : `${depot.name} manager`,
    },
  },
};

/** maintenance: adds fields to every `Asset` through @interfaceObject, with errors at each depth. */
const maintenance: FleetSubgraph = {
  name: 'maintenance',
  typeDefs: parse(`
    ${federation(['@key', '@interfaceObject'])}

    type Asset @key(fields: "id") @interfaceObject {
      id: ID!
      condition: Condition!
      lastServiced: String
      serviceHistory(limit: Int): [ServiceRecord!]!
    }

    type ServiceRecord {
      date: String!
      note: String!
      mechanic: Mechanic
    }

    type Mechanic {
      name: String!
      certified: Boolean
    }

    enum Condition {
      GOOD
      FAIR
      POOR
    }

    type Query {
      assetsDueForService: [Asset!]!
      mostUrgent: Asset
    }
  `),
  resolvers: {
    Query: {
      assetsDueForService: () => [{ id: 'v2' }, { id: 'd1' }, { id: 'v1' }],
      mostUrgent: () => ({ id: 'd3' }),
    },
    Asset: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      condition: ({ id }: { id: string }) =>
        id === 'd2' ? fail(`Condition of ${id} is unknown.`, 'NOT_INSPECTED') : id.startsWith('v') ? 'FAIR' : 'GOOD',
      lastServiced: ({ id }: { id: string }) =>
        serviceRecords.filter((record) => record.assetId === id).at(-1)?.date ?? null,
      serviceHistory: ({ id }: { id: string }, { limit }: { limit?: number | null }) => {
        if (typeof limit === 'number' && limit < 0) fail('limit must not be negative.', 'BAD_USER_INPUT');
        const history = serviceRecords.filter((record) => record.assetId === id);
        return typeof limit === 'number' ? history.slice(0, limit) : history;
      },
    },
    ServiceRecord: {
      note: (record: ServiceRecordRow) =>
        record.note === '' ? fail(`Record ${record.id} has no note.`, 'DATA_LOSS') : record.note,
    },
  },
};

/**
 * logistics: @requires (nested, on a list, non-null and failing), @provides with @external, a
 * union whose members are resolved in other subgraphs, and a union over entities. (No @context:
 * @apollo/gateway refuses supergraphs that use it, so plans with context rewrites never reach us.)
 */
const logistics: FleetSubgraph = {
  name: 'logistics',
  typeDefs: parse(`
    ${federation(['@key', '@shareable', '@external', '@requires', '@provides'])}

    type Vehicle @key(fields: "id") {
      id: ID!
      name: String! @external
      weight: Weight @external
      dimensions: Dimensions! @external
      tags: [String!]! @external
      shippingCost: Float @requires(fields: "weight { value } dimensions { length width }")
      volumeClass: String! @requires(fields: "dimensions { length width height }")
      tagSummary: String @requires(fields: "tags")
      shipments: [Shipment!]!
    }

    type Weight @shareable {
      value: Float!
      unit: String!
    }

    type Dimensions @shareable {
      length: Float!
      width: Float!
      height: Float
    }

    enum ShipmentStatus {
      PLANNED
      IN_TRANSIT
      DELIVERED
    }

    type Shipment @key(fields: "id") {
      id: ID!
      status: ShipmentStatus!
      vehicle: Vehicle @provides(fields: "name")
      cargo: [Cargo!]!
      eta: String
    }

    type Crate {
      label: String!
      weightKg: Float
    }

    type Drone @key(fields: "id") {
      id: ID!
    }

    union Cargo = Crate | Drone

    union SearchResult = Shipment | Vehicle | Crate

    type Query {
      shipments: [Shipment!]!
      shipment(id: ID!): Shipment
      search(term: String!): [SearchResult!]!
      logisticsFailure: Int
    }
  `),
  resolvers: {
    Query: {
      shipments: () => shipments,
      shipment: (_: never, { id }: { id: string }) => shipments.find((shipment) => shipment.id === id),
      search: (_: never, { term }: { term: string }) => {
        if (term === '') fail('Say what to search for.', 'BAD_USER_INPUT');
        const found: unknown[] = shipments.filter((shipment) => shipment.id.includes(term));
        found.push(
          ...vehicles.filter((vehicle) => vehicle.id.includes(term)).map(({ id }) => ({ __typename: 'Vehicle', id })),
        );
        for (const shipment of shipments)
          for (const cargo of shipment.cargo)
            if (cargo.__typename === 'Crate' && cargo.label.includes(term)) found.push(cargo);
        return found;
      },
      logisticsFailure: () => fail('Logistics failed.', 'LOGISTICS_DOWN'),
    },
    Vehicle: {
      __resolveReference: (reference: Record<string, unknown>) => ({ __typename: 'Vehicle', ...reference }),
      shippingCost: (vehicle: { weight: { value: number } | null; dimensions: { length: number; width: number } }) =>
        vehicle.weight === null
          ? null
          : Math.round(vehicle.weight.value * vehicle.dimensions.length * vehicle.dimensions.width) / 100,
      volumeClass: (vehicle: { id: string; dimensions: { length: number; width: number; height: number | null } }) => {
        const { length, width, height } = vehicle.dimensions;
        if (height === null) fail(`Vehicle ${vehicle.id} has no height.`, 'INCOMPLETE_DIMENSIONS');
        if (vehicle.id === 'v3') fail('Prototypes have no volume class.', 'UNCLASSIFIED');
        return length * width * (height ?? 0) > 50 ? 'LARGE' : 'SMALL';
      },
      tagSummary: (vehicle: { tags: string[] }) => (vehicle.tags.length === 0 ? null : vehicle.tags.join('+')),
      shipments: (vehicle: { id: string }) => shipments.filter((shipment) => shipment.vehicleId === vehicle.id),
    },
    Shipment: {
      __resolveReference: ({ id }: { id: string }) => shipments.find((shipment) => shipment.id === id),
      vehicle: (shipment: ShipmentRecord) => {
        const found = shipment.vehicleId === null ? undefined : findVehicle({ id: shipment.vehicleId });
        return found ? { __typename: 'Vehicle', id: found.id, name: found.name } : null;
      },
      eta: (shipment: ShipmentRecord) =>
        shipment.id === 's3' ? fail('Delivered shipments have no eta.', 'NO_ETA') : `2026-06-0${shipment.id.slice(1)}`,
    },
  },
};

/** telemetry: `Vehicle` by its second key (`vin`); rigged VINs break the HTTP answer (server.ts). */
const telemetry: FleetSubgraph = {
  name: 'telemetry',
  typeDefs: parse(`
    ${federation(['@key'])}

    type Vehicle @key(fields: "vin") {
      vin: String!
      odometer: Int
      readings: [Reading!]!
    }

    type Reading {
      km: Int!
      at: String!
    }

    type Query {
      telemetryStatus: String
    }
  `),
  resolvers: {
    Query: {
      telemetryStatus: () => 'ok',
    },
    Vehicle: {
      __resolveReference: ({ vin }: { vin: string }) => ({ vin }),
      odometer: ({ vin }: { vin: string }) =>
        vin === 'VIN-V2'
          ? fail('Odometer unreadable.', 'SENSOR_FAULT')
          : readings.filter((reading) => reading.vin === vin).reduce((max, reading) => Math.max(max, reading.km), 0),
      readings: ({ vin }: { vin: string }) => readings.filter((reading) => reading.vin === vin),
    },
    Reading: {
      km: ({ km }: { km: number }) => (km < 0 ? fail('Negative distance.', 'SENSOR_FAULT') : km),
    },
  },
};

export const fleetSubgraphs: readonly FleetSubgraph[] = [inventory, maintenance, logistics, telemetry];
