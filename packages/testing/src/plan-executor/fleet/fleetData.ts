/**
 * The in-memory fleet behind the purpose-built subgraphs. Some records are rigged: their ids make a
 * resolver throw, or make the telemetry subgraph answer with a broken HTTP response, so that the
 * differential test reaches errors at every level of a response deterministically.
 */

export interface Weight {
  value: number;
  unit: string;
}

export interface Dimensions {
  length: number;
  width: number;
  height: number | null;
}

export interface VehicleRecord {
  __typename: 'Vehicle';
  id: string;
  vin: string;
  name: string;
  weight: Weight | null;
  dimensions: Dimensions;
  tags: string[];
  depot: { region: string; code: string } | null;
}

export interface DroneRecord {
  __typename: 'Drone';
  id: string;
  name: string;
  weight: Weight | null;
  rotorCount: number;
}

export type AssetRecord = VehicleRecord | DroneRecord;

export interface DepotRecord {
  __typename: 'Depot';
  region: string;
  code: string;
  name: string;
  assetIds: string[];
}

export interface ServiceRecordRow {
  id: string;
  assetId: string;
  date: string;
  note: string;
  mechanic: { name: string; certified: boolean | null } | null;
}

export interface ShipmentRecord {
  __typename: 'Shipment';
  id: string;
  status: 'PLANNED' | 'IN_TRANSIT' | 'DELIVERED';
  vehicleId: string | null;
  cargo: ({ __typename: 'Crate'; label: string; weightKg: number | null } | { __typename: 'Drone'; id: string })[];
}

export interface ReadingRow {
  vin: string;
  km: number;
  at: string;
}

const vehicle = (
  id: string,
  name: string,
  weight: Weight | null,
  dimensions: Dimensions,
  tags: string[],
  depot: VehicleRecord['depot'],
): VehicleRecord => ({
  __typename: 'Vehicle',
  id,
  vin: `VIN-${id.toUpperCase()}`,
  name,
  weight,
  dimensions,
  tags,
  depot,
});

/** Vehicles every list root returns. */
export const vehicles: VehicleRecord[] = [
  vehicle('v1', 'Hauler', { value: 12000, unit: 'kg' }, { length: 12, width: 2.5, height: 4 }, ['heavy', 'diesel'], {
    region: 'north',
    code: 'N1',
  }),
  // v2: its telemetry odometer throws (an error inside an _entities fetch, in a list).
  vehicle('v2', 'Van', { value: 2800, unit: 'kg' }, { length: 5, width: 2, height: null }, ['light'], {
    region: 'north',
    code: 'N1',
  }),
  // v3: no weight (a null inside a @requires selection); volumeClass throws (non-null, in _entities).
  vehicle('v3', 'Prototype', null, { length: 3, width: 1.5, height: 1.2 }, [], { region: 'south', code: 'S1' }),
  vehicle(
    'v4',
    'Tanker',
    { value: 9000, unit: 'kg' },
    { length: 10, width: 2.5, height: 3.5 },
    ['fuel', 'hazmat'],
    null,
  ),
];

/** Vehicles only reachable by id, whose VIN makes the telemetry subgraph's HTTP answer break. */
export const riggedVehicles: VehicleRecord[] = [
  { ...vehicle('vm', 'Glitch', null, { length: 1, width: 1, height: 1 }, [], null), vin: 'VIN-MALFORMED' },
  { ...vehicle('vd', 'Ghost', null, { length: 1, width: 1, height: 1 }, [], null), vin: 'VIN-DOWN' },
  { ...vehicle('vs', 'Crash', null, { length: 1, width: 1, height: 1 }, [], null), vin: 'VIN-500' },
  { ...vehicle('vn', 'Blank', null, { length: 1, width: 1, height: 1 }, [], null), vin: 'VIN-NODATA' },
];

export const drones: DroneRecord[] = [
  { __typename: 'Drone', id: 'd1', name: 'Scout', weight: { value: 4.5, unit: 'kg' }, rotorCount: 4 },
  // d2: its serial throws (nullable) and its condition throws (non-null, from the @interfaceObject subgraph).
  { __typename: 'Drone', id: 'd2', name: 'Lifter', weight: null, rotorCount: 8 },
  { __typename: 'Drone', id: 'd3', name: 'Mapper', weight: { value: 2, unit: 'kg' }, rotorCount: 6 },
];

export const assets: AssetRecord[] = [...vehicles, ...drones];

export function findAsset(id: string): AssetRecord | undefined {
  return assets.find((asset) => asset.id === id) ?? riggedVehicles.find((asset) => asset.id === id);
}

export function findVehicle(key: { id?: string; vin?: string }): VehicleRecord | undefined {
  return [...vehicles, ...riggedVehicles].find((candidate) =>
    key.id !== undefined ? candidate.id === key.id : candidate.vin === key.vin,
  );
}

export const depots: DepotRecord[] = [
  { __typename: 'Depot', region: 'north', code: 'N1', name: 'North Yard', assetIds: ['v1', 'v2', 'd1'] },
  // S1: its manager throws.
  { __typename: 'Depot', region: 'south', code: 'S1', name: 'South Yard', assetIds: ['v3', 'd2', 'd3'] },
  { __typename: 'Depot', region: 'south', code: 'S2', name: 'Empty Lot', assetIds: [] },
];

export const serviceRecords: ServiceRecordRow[] = [
  { id: 'r1', assetId: 'v1', date: '2026-01-10', note: 'oil change', mechanic: { name: 'Ana', certified: true } },
  { id: 'r2', assetId: 'v1', date: '2026-03-02', note: 'brakes', mechanic: null },
  // r-bad: its note (non-null) throws, so v2's whole service history is invalid.
  { id: 'r-bad', assetId: 'v2', date: '2026-02-14', note: '', mechanic: { name: 'Bo', certified: null } },
  { id: 'r3', assetId: 'd1', date: '2026-04-01', note: 'rotor swap', mechanic: { name: 'Cy', certified: false } },
  { id: 'r4', assetId: 'd3', date: '2025-12-24', note: 'firmware', mechanic: { name: 'Ana', certified: true } },
];

export const shipments: ShipmentRecord[] = [
  {
    __typename: 'Shipment',
    id: 's1',
    status: 'IN_TRANSIT',
    vehicleId: 'v1',
    cargo: [
      { __typename: 'Crate', label: 'bolts', weightKg: 40 },
      { __typename: 'Drone', id: 'd1' },
    ],
  },
  {
    __typename: 'Shipment',
    id: 's2',
    status: 'PLANNED',
    vehicleId: 'v3',
    cargo: [{ __typename: 'Drone', id: 'd2' }],
  },
  // s3: its eta throws; no vehicle yet.
  {
    __typename: 'Shipment',
    id: 's3',
    status: 'DELIVERED',
    vehicleId: null,
    cargo: [{ __typename: 'Crate', label: 'empty pallets', weightKg: null }],
  },
  {
    __typename: 'Shipment',
    id: 's4',
    status: 'IN_TRANSIT',
    vehicleId: 'v4',
    cargo: [
      { __typename: 'Drone', id: 'd3' },
      { __typename: 'Crate', label: 'fuel samples', weightKg: 12.5 },
    ],
  },
];

export const readings: ReadingRow[] = [
  { vin: 'VIN-V1', km: 1200, at: '2026-01-01' },
  { vin: 'VIN-V1', km: 5400, at: '2026-02-01' },
  { vin: 'VIN-V2', km: 300, at: '2026-01-15' },
  // A reading with a negative km: its km (non-null) throws, so v4's readings list is invalid.
  { vin: 'VIN-V4', km: -1, at: '2026-03-01' },
];
