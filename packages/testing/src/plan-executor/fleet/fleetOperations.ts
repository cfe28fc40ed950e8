import { parse } from 'graphql';
import type { Example } from '../operationVariants.js';

/**
 * Base operations over the fleet supergraph, each reaching some federation feature (named in its
 * comment) and, with its alternate variables, errors at the root, inside entity fetches, inside
 * lists, null propagation and broken subgraph answers. Every variable has a default, so that each
 * operation also runs without variables.
 */
const operations: [name: string, query: string, alternates: Record<string, unknown>[]][] = [
  [
    // An entity interface at the root, fragments on its object types, an error in a list (d2's serial).
    'assets',
    `query Assets($filter: AssetFilter = ALL) {
      assets(filter: $filter) {
        id name weight { value unit }
        ... on Vehicle { vin tags dimensions { length width height } }
        ... on Drone { rotorCount serial }
      }
    }`,
    [{ filter: 'VEHICLES' }, { filter: 'DRONES' }, { filter: null }],
  ],
  [
    // @requires (nested, on a list) in a list with null items; volumeClass (non-null) throws for v2 and v3.
    'vehicleCosts',
    `query VehicleCosts {
      vehicles { id name shippingCost volumeClass tagSummary weight { value } }
    }`,
    [],
  ],
  [
    // A second key (vin) to telemetry; rigged vehicles break its HTTP answer in four ways.
    'vehicleById',
    `query VehicleById($id: ID! = "v1") {
      vehicle(id: $id) {
        id vin name odometer readings { km at } shippingCost tagSummary
        depot { region code name manager }
      }
    }`,
    [
      { id: 'v2' },
      { id: 'v3' },
      { id: 'v4' },
      { id: 'vm' },
      { id: 'vd' },
      { id: 'vs' },
      { id: 'vn' },
      { id: 'no-such-vehicle' },
    ],
  ],
  [
    // @interfaceObject fields on an interface field, arguments from variables (absent, null, failing).
    'assetById',
    `query AssetById($id: ID! = "d1", $limit: Int) {
      asset(id: $id) {
        id name condition lastServiced
        serviceHistory(limit: $limit) { date note mechanic { name certified } }
        ... on Vehicle { odometer }
      }
    }`,
    [
      { id: 'd2' },
      { id: 'v2' },
      { id: 'boom' },
      { id: 'v1', limit: 1 },
      { id: 'v1', limit: null },
      { id: 'v1', limit: -1 },
      { id: 'vm' },
      { id: 'no-such-asset' },
    ],
  ],
  [
    // A root in the @interfaceObject subgraph: the object types come from inventory.
    'dueForService',
    `query DueForService {
      assetsDueForService {
        id name condition
        ... on Vehicle { vin tags }
        ... on Drone { rotorCount }
      }
    }`,
    [],
  ],
  [
    'mostUrgent',
    `query MostUrgent {
      mostUrgent { id name lastServiced serviceHistory { date } }
    }`,
    [],
  ],
  [
    // @provides (vehicle name), a union whose members live in other subgraphs, an error on s3.
    'shipments',
    `query Shipments {
      shipments {
        id status eta
        vehicle { id name vin shippingCost }
        cargo {
          ... on Crate { label weightKg }
          ... on Drone { id name rotorCount condition }
        }
      }
    }`,
    [],
  ],
  [
    'shipmentById',
    `query ShipmentById($id: ID! = "s2") {
      shipment(id: $id) {
        id status
        vehicle { name volumeClass }
        cargo { ... on Drone { name serial } ... on Crate { label } }
      }
    }`,
    [{ id: 's1' }, { id: 's3' }, { id: 's4' }, { id: 'no-such-shipment' }],
  ],
  [
    // A union over entities and a value type; an empty term fails the non-null root.
    'search',
    `query Search($term: String! = "s") {
      search(term: $term) {
        ... on Shipment { id status }
        ... on Vehicle { id name tags }
        ... on Crate { label }
      }
    }`,
    [{ term: 'v' }, { term: '' }, { term: 'fuel' }, { term: 'zzz' }],
  ],
  [
    // A compound key, an interface list inside an entity, @requires under it, an error on S1's manager.
    'depots',
    `query Depots {
      depots {
        region code name manager
        assets { id name ... on Vehicle { shippingCost } }
      }
    }`,
    [],
  ],
  [
    'depotByKey',
    `query DepotByKey($region: String! = "north", $code: String! = "N1") {
      depot(region: $region, code: $code) {
        name
        assets { id condition ... on Drone { serial } }
      }
    }`,
    [{ code: 'S1', region: 'south' }, { code: 'S2', region: 'south' }, { code: 'nope' }],
  ],
  [
    // Root errors in two subgraphs beside a healthy field.
    'failures',
    `query Failures {
      inventoryFailure logisticsFailure telemetryStatus
    }`,
    [],
  ],
  [
    // A non-null root that fails: the whole data is null.
    'failureNonNull',
    `query FailureNonNull {
      telemetryStatus
      inventoryFailureNonNull
      shipments { id }
    }`,
    [],
  ],
  [
    // Provided name, then the vin from inventory, then telemetry by vin: three hops in a list.
    'vehicleShipments',
    `query VehicleShipments {
      vehicles {
        id
        shipments { id status vehicle { id name odometer readings { km } } }
      }
    }`,
    [],
  ],
  [
    // Deep: interface list in a compound-key entity, an entity list under it, a union under that.
    'deepCargo',
    `query DeepCargo($region: String! = "south", $code: String! = "S1") {
      depot(region: $region, code: $code) {
        assets {
          ... on Vehicle { id shipments { id cargo { ... on Drone { id name serial } } } }
          ... on Drone { id rotorCount }
        }
      }
    }`,
    [{ region: 'north', code: 'N1' }],
  ],
];

export const fleetExamples: readonly Example[] = operations.map(([name, query, alternates]) => ({
  name,
  document: parse(query),
  alternateVariables: alternates,
}));
