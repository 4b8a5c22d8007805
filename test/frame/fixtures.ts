// Small data shared by the frame tests; expected results are computed from these arrays in plain JS.
export interface Person {
  id: number;
  name: string;
  dept: string;
  salary: number;
  age: number | null;
  joined: Date;
}

export const PEOPLE: Person[] = [
  { id: 1, name: "Ada", dept: "eng", salary: 120, age: 36, joined: new Date("2020-01-15T09:30:00Z") },
  { id: 2, name: "bob", dept: "ops", salary: 80, age: null, joined: new Date("2021-06-01T17:45:10Z") },
  { id: 3, name: " Cy ", dept: "eng", salary: 100, age: 29, joined: new Date("2019-11-30T23:59:59Z") },
  { id: 4, name: "Dee", dept: "sales", salary: 90, age: 41, joined: new Date("2022-02-28T00:00:00Z") },
  { id: 5, name: "eve", dept: "eng", salary: 130, age: 25, joined: new Date("2020-01-15T12:00:00Z") },
  { id: 6, name: "Fay", dept: "ops", salary: 70, age: 52, joined: new Date("2023-07-04T08:15:00Z") },
];

export const DEPTS = [
  { dept: "eng", floor: 3 },
  { dept: "ops", floor: 1 },
  { dept: "hr", floor: 2 },
];

export function sortBy<T>(rows: T[], key: (r: T) => string | number): T[] {
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
